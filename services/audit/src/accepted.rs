//! Reads the registration ids the load test was told were accepted.
//!
//! k6 writes `console.log("ACCEPTED <id>")` lines to its console-output file,
//! each wrapped in k6's own log format (`time=… level=info msg="ACCEPTED …"`),
//! so the parser looks for the marker anywhere in a line rather than at its start.

use std::collections::BTreeSet;

const MARKER: &str = "ACCEPTED ";
const ID_LEN: usize = 32;

/// Every distinct id announced in `text`. Duplicate submissions announce the
/// same id again; they count once.
pub fn parse_accepted(text: &str) -> BTreeSet<String> {
    text.lines().filter_map(id_in_line).collect()
}

fn id_in_line(line: &str) -> Option<String> {
    let start = line.find(MARKER)? + MARKER.len();
    let candidate = line.get(start..start + ID_LEN)?;
    let well_formed = candidate
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let ends_there = line[start + ID_LEN..]
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
        let ids = parse_accepted(&text);
        assert_eq!(ids.len(), 2);
        assert!(ids.contains(ID_A) && ids.contains(ID_B));
    }

    #[test]
    fn malformed_ids_and_other_lines_are_ignored() {
        let text = "ACCEPTED 0123\nACCEPTED 0123456789ABCDEF0123456789ABCDEF\n\
                    ACCEPTED 0123456789abcdef0123456789abcdef00\nlevel=warn msg=\"other\"\n";
        assert!(parse_accepted(text).is_empty());
    }
}
