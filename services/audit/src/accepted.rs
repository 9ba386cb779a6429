//! Reads what the load test was told, id by id.
//!
//! k6 writes one console line per answer that matters to the audit, each
//! wrapped in k6's own log format (`time=… level=info msg="ACCEPTED …"`), so
//! the parser looks for a marker anywhere in a line:
//!
//! * `ACCEPTED <id>`: answered 202 with this id;
//! * `REFUSED <id> status=<n>`: answered 429/503; the id is derived by k6
//!   from the NIK and wave it sent (the gateway never names it);
//! * `NO_ANSWER <id>`: no answer at all (timeout, connection reset): the
//!   outcome is unknown to the client.

use std::collections::BTreeSet;

const ID_LEN: usize = 32;

/// The ids of one run, by what the client was told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Distinct ids answered 202.
    pub accepted: BTreeSet<String>,
    /// `ACCEPTED` lines, re-submissions included: one per 202 k6 counted.
    pub accepted_answers: u64,
    /// Distinct ids refused with 429/503.
    pub refused: BTreeSet<String>,
    /// `REFUSED` lines, with or without an id.
    pub refused_answers: u64,
    /// Distinct ids that got no answer.
    pub no_answer: BTreeSet<String>,
    /// `NO_ANSWER` lines.
    pub no_answer_answers: u64,
}

impl Attempts {
    /// Every id the client sent and learned about in any way.
    pub fn attempted(&self, id: &str) -> bool {
        self.accepted.contains(id) || self.refused.contains(id) || self.no_answer.contains(id)
    }
}

/// Parses k6's console output.
pub fn parse_attempts(text: &str) -> Attempts {
    let mut out = Attempts::default();
    for line in text.lines() {
        if let Some(rest) = after(line, "ACCEPTED ") {
            out.accepted_answers += 1;
            out.accepted.extend(id_at(rest));
        } else if let Some(rest) = after(line, "REFUSED ") {
            out.refused_answers += 1;
            out.refused.extend(id_at(rest));
        } else if let Some(rest) = after(line, "NO_ANSWER ") {
            out.no_answer_answers += 1;
            out.no_answer.extend(id_at(rest));
        }
    }
    out
}

/// The distinct ids announced as accepted in `text`.
pub fn parse_accepted(text: &str) -> BTreeSet<String> {
    parse_attempts(text).accepted
}

fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|at| &line[at + marker.len()..])
}

fn id_at(rest: &str) -> Option<String> {
    let candidate = rest.get(..ID_LEN)?;
    let well_formed = candidate
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let ends_there = rest[ID_LEN..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_ascii_alphanumeric());
    (well_formed && ends_there).then(|| candidate.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID_A: &str = "0123456789abcdef0123456789abcdef";
    const ID_B: &str = "fedcba9876543210fedcba9876543210";

    #[test]
    fn ids_are_found_inside_k6_log_lines_and_deduplicated() {
        let text = format!(
            "time=\"2026-11-27T10:00:00Z\" level=info msg=\"ACCEPTED {ID_A}\" source=console\n\
             ACCEPTED {ID_B}\n\
             time=\"x\" level=info msg=\"ACCEPTED {ID_A}\" source=console\n"
        );
        let attempts = parse_attempts(&text);
        assert_eq!(attempts.accepted.len(), 2);
        assert_eq!(attempts.accepted_answers, 3);
        assert!(attempts.accepted.contains(ID_A) && attempts.accepted.contains(ID_B));
    }

    #[test]
    fn refusals_and_unanswered_requests_are_kept_apart_from_acceptances() {
        let text = format!(
            "msg=\"REFUSED {ID_A} status=503\"\nmsg=\"REFUSED - status=429\"\n\
             msg=\"NO_ANSWER {ID_B} error=timeout\"\n"
        );
        let attempts = parse_attempts(&text);
        assert!(attempts.accepted.is_empty());
        assert_eq!(attempts.refused, BTreeSet::from([ID_A.to_owned()]));
        assert_eq!(attempts.refused_answers, 2);
        assert_eq!(attempts.no_answer, BTreeSet::from([ID_B.to_owned()]));
        assert!(attempts.attempted(ID_B) && !attempts.attempted("x"));
    }

    #[test]
    fn malformed_ids_and_other_lines_are_ignored() {
        let text = "ACCEPTED 0123\nACCEPTED 0123456789ABCDEF0123456789ABCDEF\n\
                    ACCEPTED 0123456789abcdef0123456789abcdef00\nlevel=warn msg=\"other\"\n";
        assert!(parse_accepted(text).is_empty());
    }
}
