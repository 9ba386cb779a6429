//! The zero-loss audit of photo uploads (`lonjak-photo-audit`): every upload
//! the gateway confirmed with 202 ends accepted or rejected exactly once,
//! none stays unchecked, none has two effects, nothing is left behind.
//!
//! Its inputs are the `PHOTO <registration id> <kind> <key>` lines k6 prints
//! for each 202 of a confirm, the `photo_checks` table, the object store
//! (one HEAD per upload of its `incoming/` key and its `kept/` copy) and,
//! when given, the photo-check worker's own count of recorded checks.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use diesel::sql_types::{Array, Nullable, Text};
use diesel::{QueryableByName, sql_query};
use diesel_async::RunQueryDsl;
use futures::StreamExt as _;
use lonjak_domain::PhotoKey;
use lonjak_photos::{ObjectStore, ObjectStoreSettings};
use serde::Serialize;

/// `lonjak-photo-audit` arguments.
#[derive(Debug, clap::Parser)]
#[command(
    name = "lonjak-photo-audit",
    about = "Zero-loss audit of photo uploads"
)]
pub struct PhotoAuditArgs {
    /// k6's console output: `PHOTO <id> <kind> <key>` per confirmed upload.
    #[arg(long)]
    pub completed: PathBuf,
    #[arg(long, env = "LONJAK_DATABASE__URL", hide_env_values = true)]
    pub database_url: String,
    #[arg(long, env = "LONJAK_OBJECT_STORE__ENDPOINT")]
    pub s3_endpoint: String,
    #[arg(
        long,
        env = "LONJAK_OBJECT_STORE__BUCKET",
        default_value = "lonjak-photos"
    )]
    pub s3_bucket: String,
    #[arg(long, env = "LONJAK_OBJECT_STORE__ACCESS_KEY")]
    pub s3_access_key: String,
    #[arg(long, env = "LONJAK_OBJECT_STORE__SECRET_KEY", hide_env_values = true)]
    pub s3_secret_key: String,
    /// The photo-check worker's /metrics (a worker started for the run):
    /// its recorded checks must equal the confirmed uploads.
    #[arg(long)]
    pub metrics_url: Option<String>,
    /// How long to wait for the last checks.
    #[arg(long, default_value_t = 120)]
    pub wait_secs: u64,
    /// Where to write the report (JSON); printed either way.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// After the audit, delete the run's kept copies (a load test's photos
    /// are not worth keeping).
    #[arg(long)]
    pub delete_kept: bool,
}

/// The verdict.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct PhotoReport {
    /// Distinct uploads confirmed with 202.
    pub completed: usize,
    /// The same upload confirmed more than once (the gateway answers each;
    /// one check follows).
    pub confirmed_again: usize,
    pub accepted: usize,
    /// Rejected, by reason.
    pub rejected: BTreeMap<String, usize>,
    /// Confirmed but never recorded (or recorded under another key).
    pub stuck: usize,
    /// Two effects of one upload: a kept copy of a rejected photo, or more
    /// recorded checks than uploads.
    pub duplicated: usize,
    /// Accepted, but its kept copy is missing.
    pub kept_missing: usize,
    /// Checked, but the upload is still in `incoming/`.
    pub left_behind: usize,
    /// The worker's count of recorded checks, when asked.
    pub counted: Option<u64>,
    /// Seconds from the audit's start until every check was recorded.
    pub wait_secs: f64,
}

impl PhotoReport {
    pub fn is_clean(&self) -> bool {
        self.stuck == 0 && self.duplicated == 0 && self.kept_missing == 0 && self.left_behind == 0
    }
}

/// The uploads confirmed in k6's output, each once, and how many lines
/// named an upload already seen.
pub fn parse_completed(text: &str) -> (Vec<PhotoKey>, usize) {
    let mut seen = HashSet::new();
    let mut keys = Vec::new();
    let mut again = 0;
    for line in text.lines() {
        let Some(rest) = line.split("PHOTO ").nth(1) else {
            continue;
        };
        let mut parts = rest.split_whitespace();
        let (Some(id), Some(kind), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let key = key.trim_matches('"');
        let Ok(parsed) = PhotoKey::parse(key) else {
            continue;
        };
        if parsed.registration_id().to_string() != id || parsed.kind().as_str() != kind {
            continue;
        }
        if seen.insert(key.to_owned()) {
            keys.push(parsed);
        } else {
            again += 1;
        }
    }
    (keys, again)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct CheckRow {
    #[diesel(sql_type = Text)]
    pub object_key: String,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
}

/// What the object store holds for one upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Objects {
    pub incoming: bool,
    pub kept: bool,
}

/// Classifies each upload from its recorded check and its objects.
pub fn classify(
    keys: &[PhotoKey],
    rows: &HashMap<String, CheckRow>,
    objects: &HashMap<String, Objects>,
) -> PhotoReport {
    let mut report = PhotoReport {
        completed: keys.len(),
        ..PhotoReport::default()
    };
    for key in keys {
        let key = key.to_string();
        let found = objects.get(&key).copied().unwrap_or(Objects {
            incoming: false,
            kept: false,
        });
        match rows.get(&key) {
            None => report.stuck += 1,
            Some(row) => {
                if found.incoming {
                    report.left_behind += 1;
                }
                if row.state == "accepted" {
                    report.accepted += 1;
                    if !found.kept {
                        report.kept_missing += 1;
                    }
                } else {
                    let reason = row.reason.clone().unwrap_or_else(|| "unknown".to_owned());
                    *report.rejected.entry(reason).or_default() += 1;
                    if found.kept {
                        report.duplicated += 1;
                    }
                }
            }
        }
    }
    report
}

/// The sum of `lonjak_photo_check_photos_total` in a Prometheus exposition.
pub fn counted_checks(exposition: &str) -> u64 {
    exposition
        .lines()
        .filter(|l| l.starts_with("lonjak_photo_check_photos_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

async fn load_rows(
    conn: &mut diesel_async::AsyncPgConnection,
    keys: &[String],
) -> anyhow::Result<HashMap<String, CheckRow>> {
    let rows: Vec<CheckRow> =
        sql_query("SELECT object_key, state, reason FROM photo_checks WHERE object_key = ANY($1)")
            .bind::<Array<Text>, _>(keys)
            .load(conn)
            .await
            .context("reading photo_checks")?;
    Ok(rows
        .into_iter()
        .map(|r| (r.object_key.clone(), r))
        .collect())
}

/// Runs the audit: waits for the checks, then classifies.
pub async fn run(args: &PhotoAuditArgs) -> anyhow::Result<PhotoReport> {
    let text = std::fs::read_to_string(&args.completed)
        .with_context(|| format!("reading {}", args.completed.display()))?;
    let (keys, again) = parse_completed(&text);
    let names: Vec<String> = keys.iter().map(ToString::to_string).collect();
    let mut conn = crate::db::connect(&args.database_url).await?;
    let started = std::time::Instant::now();
    let deadline = started + Duration::from_secs(args.wait_secs);
    let rows = loop {
        let rows = load_rows(&mut conn, &names).await?;
        if rows.len() >= names.len() || std::time::Instant::now() >= deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let waited = started.elapsed().as_secs_f64();
    let store = ObjectStore::new(&ObjectStoreSettings {
        endpoint: args.s3_endpoint.clone(),
        bucket: args.s3_bucket.clone(),
        access_key: args.s3_access_key.clone(),
        secret_key: args.s3_secret_key.clone().into(),
        ..ObjectStoreSettings::default()
    })?;
    let heads = futures::stream::iter(keys.iter().map(|key| {
        let store = store.clone();
        async move {
            let incoming = store.head(&key.to_string()).await?.is_some();
            let kept = store.head(&key.kept()).await?.is_some();
            anyhow::Ok((key.to_string(), Objects { incoming, kept }))
        }
    }))
    .buffer_unordered(32)
    .collect::<Vec<_>>()
    .await;
    let objects = heads
        .into_iter()
        .collect::<anyhow::Result<HashMap<_, _>>>()
        .context("reading the object store")?;
    if args.delete_kept {
        let kept: Vec<String> = keys
            .iter()
            .filter(|k| objects.get(&k.to_string()).is_some_and(|o| o.kept))
            .map(PhotoKey::kept)
            .collect();
        futures::stream::iter(kept.iter().map(|key| store.delete(key)))
            .buffer_unordered(32)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<Vec<()>, _>>()
            .context("deleting the run's kept copies")?;
    }
    let mut report = classify(&keys, &rows, &objects);
    report.confirmed_again = again;
    report.wait_secs = waited;
    if let Some(url) = &args.metrics_url {
        let body = reqwest::get(url).await?.error_for_status()?.text().await?;
        let counted = counted_checks(&body);
        report.counted = Some(counted);
        report.duplicated += usize::try_from(counted)
            .unwrap_or(usize::MAX)
            .saturating_sub(report.completed);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use lonjak_domain::{PhotoKind, RegistrationId};

    use super::*;

    fn key(n: u8, kind: PhotoKind) -> PhotoKey {
        let id = RegistrationId::parse(&format!("{n:032x}")).expect("id");
        PhotoKey::new(id, kind, [n; 16])
    }

    fn row(key: &PhotoKey, state: &str, reason: Option<&str>) -> (String, CheckRow) {
        (
            key.to_string(),
            CheckRow {
                object_key: key.to_string(),
                state: state.to_owned(),
                reason: reason.map(str::to_owned),
            },
        )
    }

    #[test]
    fn k6_lines_are_read_once_per_upload_and_mismatched_ones_ignored() {
        let a = key(1, PhotoKind::Ktp);
        let b = key(2, PhotoKind::Selfie);
        let id = a.registration_id();
        let text = format!(
            "INFO[0001] PHOTO {id} ktp {a} source=console\nPHOTO {id} ktp {a}\n\
             PHOTO {} selfie {b}\nPHOTO {id} selfie {b}\nACCEPTED {id}\n",
            b.registration_id()
        );
        let (keys, again) = parse_completed(&text);
        assert_eq!(keys, vec![a, b]);
        assert_eq!(again, 1);
    }

    #[test]
    fn each_kind_of_fault_is_counted_where_it_belongs() {
        let ok = key(1, PhotoKind::Ktp);
        let bad = key(2, PhotoKind::Ktp);
        let lost = key(3, PhotoKind::Ktp);
        let stray = key(4, PhotoKind::Selfie);
        let rows: HashMap<_, _> = [
            row(&ok, "accepted", None),
            row(&bad, "rejected", Some("too_large")),
            row(&stray, "rejected", Some("not_an_image")),
        ]
        .into_iter()
        .collect();
        let objects: HashMap<_, _> = [
            (
                ok.to_string(),
                Objects {
                    incoming: true,
                    kept: true,
                },
            ),
            (
                bad.to_string(),
                Objects {
                    incoming: false,
                    kept: false,
                },
            ),
            (
                stray.to_string(),
                Objects {
                    incoming: false,
                    kept: true,
                },
            ),
        ]
        .into_iter()
        .collect();
        let report = classify(&[ok, bad, lost, stray], &rows, &objects);
        assert_eq!(report.completed, 4);
        assert_eq!(report.accepted, 1);
        assert_eq!(report.rejected.values().sum::<usize>(), 2);
        assert_eq!(report.stuck, 1);
        assert_eq!(report.left_behind, 1);
        assert_eq!(report.duplicated, 1);
        assert_eq!(report.kept_missing, 0);
        assert!(!report.is_clean());
    }

    #[test]
    fn the_worker_count_is_summed_over_results() {
        let text = "# TYPE lonjak_photo_check_photos counter\n\
            lonjak_photo_check_photos_total{result=\"accepted\",reason=\"none\"} 7\n\
            lonjak_photo_check_photos_total{result=\"rejected\",reason=\"too_large\"} 2\n\
            lonjak_photo_check_checked_bytes_total 900\n";
        assert_eq!(counted_checks(text), 9);
    }
}
