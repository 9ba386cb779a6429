//! The zero-loss verdict, in the terms of RabbitMQ's Jepsen tests: what the
//! load test was told (202 accepted ids) against what the database holds.

use std::collections::{BTreeMap, BTreeSet};

/// What the database says about one registration row of the audited wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFacts {
    pub id: String,
    pub status: String,
    pub reason: Option<String>,
    /// `status_history` rows moving this registration into a final state.
    pub final_transitions: i64,
    /// The most `outbox` events recorded for this registration under a single
    /// routing key (one per key is the expected, exactly-once outcome).
    pub max_events_per_key: i64,
}

/// The audit's verdict for one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classification {
    /// Distinct ids the load test was told were accepted.
    pub accepted: usize,
    /// Registration rows found in the wave.
    pub records: usize,
    /// Accepted, but no record, or no final state reached.
    pub lost: BTreeSet<String>,
    /// More than one record, final transition or downstream event for one id.
    pub duplicated: BTreeSet<String>,
    /// Records in the wave that nobody was told were accepted.
    pub unexpected: BTreeSet<String>,
    /// Current status of accepted records, counted.
    pub by_state: BTreeMap<String, u64>,
    /// `status/reason` of accepted records that carry a reason, counted.
    pub by_reason: BTreeMap<String, u64>,
}

impl Classification {
    /// Whether the run kept every promise: nothing lost, duplicated or unexpected.
    pub fn is_clean(&self) -> bool {
        self.lost.is_empty() && self.duplicated.is_empty() && self.unexpected.is_empty()
    }
}

/// Whether a record has reached the end of the pipeline: its status is final
/// now, or its history shows it entered a final state (it may have moved on to
/// a later stage that this audit was not told about).
pub fn reached_final(record: &RecordFacts, is_final: impl Fn(&str) -> bool) -> bool {
    record.final_transitions > 0 || is_final(&record.status)
}

/// Compares the accepted ids with the records of the wave.
pub fn classify(
    accepted: &BTreeSet<String>,
    records: &[RecordFacts],
    is_final: impl Fn(&str) -> bool,
) -> Classification {
    let mut out = Classification {
        accepted: accepted.len(),
        records: records.len(),
        ..Classification::default()
    };
    let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
    let mut finished: BTreeSet<&str> = BTreeSet::new();

    for record in records {
        let copies = seen.entry(record.id.as_str()).or_default();
        *copies += 1;
        if *copies > 1 || record.final_transitions > 1 || record.max_events_per_key > 1 {
            out.duplicated.insert(record.id.clone());
        }
        if !accepted.contains(&record.id) {
            out.unexpected.insert(record.id.clone());
            continue;
        }
        if reached_final(record, &is_final) {
            finished.insert(record.id.as_str());
        }
        // Count each id once even if it is duplicated, so the states add up
        // to the number of accepted registrations found.
        if *copies == 1 {
            *out.by_state.entry(record.status.clone()).or_default() += 1;
            if let Some(reason) = &record.reason {
                let key = format!("{}/{}", record.status, reason);
                *out.by_reason.entry(key).or_default() += 1;
            }
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
            max_events_per_key: 1,
        }
    }

    fn ids(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn is_final(s: &str) -> bool {
        s == "verified" || s == "rejected"
    }

    #[test]
    fn every_accepted_id_in_a_final_state_once_is_clean() {
        let mut rejected = record("b", "rejected");
        rejected.reason = Some("identity_not_found".into());
        let verdict = classify(
            &ids(&["a", "b"]),
            &[record("a", "verified"), rejected],
            is_final,
        );
        assert!(verdict.is_clean());
        assert_eq!(verdict.by_state.get("verified"), Some(&1));
        assert_eq!(
            verdict.by_reason.get("rejected/identity_not_found"),
            Some(&1)
        );
    }

    #[test]
    fn accepted_ids_without_record_or_final_state_are_lost() {
        let verdict = classify(
            &ids(&["a", "b", "c"]),
            &[record("a", "verified"), record("b", "verifying")],
            is_final,
        );
        assert_eq!(verdict.lost, ids(&["b", "c"]));
        assert!(verdict.duplicated.is_empty() && verdict.unexpected.is_empty());
    }

    #[test]
    fn a_record_that_passed_through_a_final_state_is_not_lost() {
        let mut moved_on = record("a", "scored");
        moved_on.final_transitions = 1;
        let verdict = classify(&ids(&["a"]), &[moved_on], is_final);
        assert!(verdict.lost.is_empty());
    }

    #[test]
    fn two_rows_two_final_transitions_or_two_events_for_one_id_are_duplicated() {
        let mut twice_final = record("b", "verified");
        twice_final.final_transitions = 2;
        let mut twice_published = record("c", "verified");
        twice_published.max_events_per_key = 2;
        let records = [
            record("a", "verified"),
            record("a", "verified"),
            twice_final,
            twice_published,
        ];
        let verdict = classify(&ids(&["a", "b", "c"]), &records, is_final);
        assert_eq!(verdict.duplicated, ids(&["a", "b", "c"]));
        assert_eq!(verdict.by_state.get("verified"), Some(&3));
        assert!(verdict.lost.is_empty());
    }

    #[test]
    fn records_nobody_was_told_about_are_unexpected() {
        let verdict = classify(
            &ids(&["a"]),
            &[record("a", "verified"), record("z", "verified")],
            is_final,
        );
        assert_eq!(verdict.unexpected, ids(&["z"]));
        assert!(!verdict.is_clean());
        assert_eq!(verdict.records, 2);
    }
}
