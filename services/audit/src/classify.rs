//! The zero-loss verdict, in the terms of RabbitMQ's Jepsen tests: what the
//! load test was told, id by id, against what the database and the providers
//! hold.
//!
//! * **lost**: told 202, but no record or no final state;
//! * **duplicated**: an effect applied twice for one id (two rows, the same
//!   status transition twice in `status_history`, two `outbox` events under
//!   one routing key, or a provider that saw the same message twice);
//! * **unexpected**: stored, but never sent as far as the client knows;
//! * **recovered**: the client got no answer, and the registration is stored;
//! * **indeterminate**: refused (429/503), and stored all the same;
//! * **stuck**: stored without a 202 (recovered, indeterminate or unexpected)
//!   and never reached a final state;
//! * **unnotified**: final, but a provider read live never got the message
//!   the final state calls for (`crate::notified`).
//!
//! Lost, duplicated, unexpected, stuck and unnotified fail the audit;
//! recovered and indeterminate are counted and reported.

use std::collections::{BTreeMap, BTreeSet};

use crate::accepted::Attempts;

/// What the database says about one registration row of the audited wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFacts {
    pub id: String,
    pub status: String,
    pub reason: Option<String>,
    /// `status_history` rows moving this registration into a final state.
    pub final_transitions: i64,
    /// The most `status_history` rows with one same (from, to) pair: a
    /// transition applied twice shows as 2.
    pub max_repeated_transition: i64,
    /// The most `outbox` events recorded for this registration under a single
    /// routing key (one per key is the expected, exactly-once outcome).
    pub max_events_per_key: i64,
}

/// Where a duplicated effect was seen.
pub const DUP_RECORD: &str = "registrations (two rows)";
pub const DUP_FINAL: &str = "status_history (two final transitions)";
pub const DUP_TRANSITION: &str = "status_history (same transition twice)";
pub const DUP_OUTBOX: &str = "outbox (two events, one routing key)";

/// The audit's verdict for one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classification {
    /// Distinct ids the load test was told were accepted.
    pub accepted: usize,
    /// Registration rows found in the wave.
    pub records: usize,
    pub lost: BTreeSet<String>,
    pub duplicated: BTreeSet<String>,
    pub unexpected: BTreeSet<String>,
    pub recovered: BTreeSet<String>,
    pub indeterminate: BTreeSet<String>,
    pub stuck: BTreeSet<String>,
    /// Final, but a message the final state calls for never reached its
    /// provider (only when providers are read live).
    pub unnotified: BTreeSet<String>,
    /// Duplicated ids by where the duplicate effect was seen.
    pub duplicated_by_effect: BTreeMap<String, BTreeSet<String>>,
    /// Current status of accepted records, counted.
    pub by_state: BTreeMap<String, u64>,
    /// `status/reason` of accepted records that carry a reason, counted.
    pub by_reason: BTreeMap<String, u64>,
}

impl Classification {
    /// Whether the run kept every promise.
    pub fn is_clean(&self) -> bool {
        self.lost.is_empty()
            && self.duplicated.is_empty()
            && self.unexpected.is_empty()
            && self.stuck.is_empty()
            && self.unnotified.is_empty()
    }

    /// Accepted ids found in the database (each once).
    pub fn accepted_found(&self) -> u64 {
        self.by_state.values().sum()
    }

    pub(crate) fn duplicate(&mut self, effect: &str, id: &str) {
        self.duplicated.insert(id.to_owned());
        self.duplicated_by_effect
            .entry(effect.to_owned())
            .or_default()
            .insert(id.to_owned());
    }
}

/// Whether a record has reached the end of the pipeline: its status is final
/// now, or its history shows it entered a final state (it may have moved on to
/// a later stage that this audit was not told about).
pub fn reached_final(record: &RecordFacts, is_final: impl Fn(&str) -> bool) -> bool {
    record.final_transitions > 0 || is_final(&record.status)
}

/// Compares what the client was told with the records of the wave and the
/// providers' duplicated effects (`provider name → ids seen twice`).
pub fn classify(
    attempts: &Attempts,
    records: &[RecordFacts],
    provider_duplicates: &BTreeMap<String, BTreeSet<String>>,
    is_final: impl Fn(&str) -> bool,
) -> Classification {
    let accepted = &attempts.accepted;
    let mut out = Classification {
        accepted: accepted.len(),
        records: records.len(),
        ..Classification::default()
    };
    let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
    let mut finished: BTreeSet<&str> = BTreeSet::new();

    for record in records {
        let id = record.id.as_str();
        let copies = seen.entry(id).or_default();
        *copies += 1;
        let first_copy = *copies == 1;
        if !first_copy {
            out.duplicate(DUP_RECORD, id);
        }
        if record.final_transitions > 1 {
            out.duplicate(DUP_FINAL, id);
        }
        if record.max_repeated_transition > 1 {
            out.duplicate(DUP_TRANSITION, id);
        }
        if record.max_events_per_key > 1 {
            out.duplicate(DUP_OUTBOX, id);
        }
        let done = reached_final(record, &is_final);
        if !accepted.contains(id) {
            let class = if attempts.no_answer.contains(id) {
                &mut out.recovered
            } else if attempts.refused.contains(id) {
                &mut out.indeterminate
            } else {
                &mut out.unexpected
            };
            class.insert(id.to_owned());
            if !done {
                out.stuck.insert(id.to_owned());
            }
            continue;
        }
        if done {
            finished.insert(id);
        }
        // Count each id once even if it is duplicated, so the states add up
        // to the number of accepted registrations found.
        if first_copy {
            *out.by_state.entry(record.status.clone()).or_default() += 1;
            if let Some(reason) = &record.reason {
                let key = format!("{}/{}", record.status, reason);
                *out.by_reason.entry(key).or_default() += 1;
            }
        }
    }
    for (provider, ids) in provider_duplicates {
        for id in ids {
            out.duplicate(&format!("provider {provider}"), id);
        }
    }
    out.lost = accepted
        .iter()
        .filter(|id| !finished.contains(id.as_str()))
        .cloned()
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, status: &str) -> RecordFacts {
        RecordFacts {
            id: id.into(),
            status: status.into(),
            reason: None,
            final_transitions: i64::from(status == "verified" || status == "rejected"),
            max_repeated_transition: 1,
            max_events_per_key: 1,
        }
    }

    fn ids(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn told(accepted: &[&str]) -> Attempts {
        Attempts {
            accepted: ids(accepted),
            ..Attempts::default()
        }
    }

    fn is_final(s: &str) -> bool {
        s == "verified" || s == "rejected"
    }

    fn run(attempts: &Attempts, records: &[RecordFacts]) -> Classification {
        classify(attempts, records, &BTreeMap::new(), is_final)
    }

    #[test]
    fn every_accepted_id_in_a_final_state_once_is_clean() {
        let mut rejected = record("b", "rejected");
        rejected.reason = Some("identity_not_found".into());
        let verdict = run(&told(&["a", "b"]), &[record("a", "verified"), rejected]);
        assert!(verdict.is_clean());
        assert_eq!(verdict.by_state.get("verified"), Some(&1));
        assert_eq!(verdict.accepted_found(), 2);
        assert_eq!(
            verdict.by_reason.get("rejected/identity_not_found"),
            Some(&1)
        );
    }

    #[test]
    fn accepted_ids_without_record_or_final_state_are_lost() {
        let verdict = run(
            &told(&["a", "b", "c"]),
            &[record("a", "verified"), record("b", "verifying")],
        );
        assert_eq!(verdict.lost, ids(&["b", "c"]));
        assert!(verdict.duplicated.is_empty() && verdict.unexpected.is_empty());
        assert!(!verdict.is_clean());
    }

    #[test]
    fn a_record_that_passed_through_a_final_state_is_not_lost() {
        let mut moved_on = record("a", "scored");
        moved_on.final_transitions = 1;
        let verdict = run(&told(&["a"]), &[moved_on]);
        assert!(verdict.lost.is_empty());
    }

    #[test]
    fn each_kind_of_repeated_effect_is_a_duplicate_named_by_where_it_was_seen() {
        let mut twice_final = record("b", "verified");
        twice_final.final_transitions = 2;
        let mut twice_published = record("c", "verified");
        twice_published.max_events_per_key = 2;
        let mut twice_started = record("d", "verified");
        twice_started.max_repeated_transition = 2;
        let records = [
            record("a", "verified"),
            record("a", "verified"),
            twice_final,
            twice_published,
            twice_started,
            record("e", "verified"),
        ];
        let providers = BTreeMap::from([("sms".to_owned(), ids(&["e"]))]);
        let verdict = classify(
            &told(&["a", "b", "c", "d", "e"]),
            &records,
            &providers,
            is_final,
        );
        assert_eq!(verdict.duplicated, ids(&["a", "b", "c", "d", "e"]));
        let by = |k: &str| verdict.duplicated_by_effect.get(k).cloned();
        assert_eq!(by(DUP_RECORD), Some(ids(&["a"])));
        assert_eq!(by(DUP_FINAL), Some(ids(&["b"])));
        assert_eq!(by(DUP_OUTBOX), Some(ids(&["c"])));
        assert_eq!(by(DUP_TRANSITION), Some(ids(&["d"])));
        assert_eq!(by("provider sms"), Some(ids(&["e"])));
        assert_eq!(verdict.by_state.get("verified"), Some(&5));
        assert!(verdict.lost.is_empty() && !verdict.is_clean());
    }

    #[test]
    fn stored_records_without_a_202_are_recovered_indeterminate_or_unexpected() {
        let attempts = Attempts {
            accepted: ids(&["a"]),
            refused: ids(&["r", "r2"]),
            no_answer: ids(&["n"]),
            ..Attempts::default()
        };
        let records = [
            record("a", "verified"),
            record("r", "rejected"),
            record("n", "verified"),
            record("z", "verified"),
        ];
        let verdict = run(&attempts, &records);
        assert_eq!(verdict.indeterminate, ids(&["r"]));
        assert_eq!(verdict.recovered, ids(&["n"]));
        assert_eq!(verdict.unexpected, ids(&["z"]));
        assert!(verdict.stuck.is_empty());
        assert_eq!(verdict.records, 4);
        assert_eq!(verdict.accepted_found(), 1);
        assert!(!verdict.is_clean(), "an unexpected record fails the audit");
    }

    #[test]
    fn an_indeterminate_record_that_never_finishes_is_stuck_and_fails() {
        let attempts = Attempts {
            refused: ids(&["r"]),
            ..Attempts::default()
        };
        let verdict = run(&attempts, &[record("r", "verifying")]);
        assert_eq!(verdict.indeterminate, ids(&["r"]));
        assert_eq!(verdict.stuck, ids(&["r"]));
        assert!(!verdict.is_clean());
    }
}
