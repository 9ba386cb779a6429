//! `lonjak-ops keys verify`: opens every personal field of every stored
//! registration with the configured data key ring, and reports the rows
//! per key version and those that do not open.
//!
//! Run after `keys rotate` with the old key removed from
//! `database.previous_data_keys`: "all rows open" is the proof that the old
//! key can be retired. Read-only, in short batches, beside the pipeline.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Context;
use lonjak_store::{KeyFailure, Store};

/// Failing rows named in the report; the count covers them all.
const SHOWN_FAILURES: usize = 20;

/// What a pass found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyVerification {
    /// The versions the ring holds, and the one it seals under.
    pub ring: Vec<u8>,
    pub current: u8,
    /// Rows read (erased rows excepted).
    pub checked: u64,
    /// Rows whose every field opened, by `key_version` (`None`: from before
    /// versioned keys).
    pub opened: BTreeMap<Option<i16>, u64>,
    /// Rows that did not open.
    pub failed: u64,
    /// The first of them.
    pub failures: Vec<KeyFailure>,
}

impl KeyVerification {
    /// Every row read opened.
    pub fn all_open(&self) -> bool {
        self.failed == 0
    }

    /// Rows that opened but are not at the current version.
    pub fn not_current(&self) -> u64 {
        let current = Some(i16::from(self.current));
        self.opened
            .iter()
            .filter(|(version, _)| **version != current)
            .map(|(_, n)| n)
            .sum()
    }

    /// The report `keys verify` prints.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let ring: Vec<String> = self.ring.iter().map(u8::to_string).collect();
        let _ = writeln!(
            out,
            "data key ring: version(s) {} (current {})",
            ring.join(", "),
            self.current
        );
        for (version, n) in &self.opened {
            match version {
                Some(v) => {
                    let _ = writeln!(out, "key version {v}: {n} row(s) open");
                }
                None => {
                    let _ = writeln!(out, "from before versioned keys: {n} row(s) open");
                }
            }
        }
        for failure in &self.failures {
            let _ = writeln!(out, "FAILED {}: {}", failure.id, failure.reason);
        }
        if self.failed > self.failures.len() as u64 {
            let _ = writeln!(
                out,
                "… and {} more",
                self.failed - self.failures.len() as u64
            );
        }
        let _ = writeln!(
            out,
            "{} row(s) checked: {} open, {} failed; {} not at version {}",
            self.checked,
            self.checked - self.failed,
            self.failed,
            self.not_current(),
            self.current
        );
        out
    }
}

/// Runs one pass over every registration, `batch` rows per read.
pub async fn verify(store: &Store, batch: u32) -> anyhow::Result<KeyVerification> {
    let current = store.current_key_version().context("the data key ring")?;
    let mut found = KeyVerification {
        ring: store.key_versions().context("the data key ring")?,
        current,
        ..KeyVerification::default()
    };
    let mut after: Option<String> = None;
    loop {
        let done = store
            .verify_keys_batch(after.as_deref(), i64::from(batch.max(1)))
            .await
            .with_context(|| format!("reading the batch after {after:?}"))?;
        if done.checked == 0 {
            break;
        }
        found.checked += done.checked as u64;
        for (version, n) in done.opened {
            *found.opened.entry(version).or_default() += n;
        }
        found.failed += done.failures.len() as u64;
        let room = SHOWN_FAILURES.saturating_sub(found.failures.len());
        found.failures.extend(done.failures.into_iter().take(room));
        after = done.last_id;
    }
    Ok(found)
}
