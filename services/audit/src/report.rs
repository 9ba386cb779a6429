//! The per-run `report.md`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Duration;

use crate::checks::GatewayCounts;
use crate::k6::K6Summary;
use crate::run::Verdict;

/// How many ids of each failing class the report lists.
const LISTED_IDS: usize = 20;

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    pub wave: i32,
    pub final_states: &'a [String],
    pub deadline: Duration,
    pub k6: Option<&'a K6Summary>,
    /// Growth of the gateway's intake counters over the run, by outcome.
    pub gateway: &'a GatewayCounts,
    pub verdict: &'a Verdict,
    /// Time from the end of the load until every accepted id was final;
    /// `None` when the deadline passed first.
    pub drain: Option<Duration>,
    pub e2e_p50_ms: Option<f64>,
    pub e2e_p99_ms: Option<f64>,
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1} ms"))
}

fn ids(out: &mut String, name: &str, set: &BTreeSet<String>) {
    if set.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{name} (first {} of {}):\n",
        LISTED_IDS.min(set.len()),
        set.len()
    );
    for id in set.iter().take(LISTED_IDS) {
        let _ = writeln!(out, "- `{id}`");
    }
}

/// Renders the Markdown report.
pub fn render(r: &ReportInput<'_>) -> String {
    let v = &r.verdict.classes;
    let mut out = String::new();
    let verdict = if r.verdict.is_clean() { "PASS" } else { "FAIL" };
    let _ = writeln!(out, "# Load-test audit: wave {} — {verdict}\n", r.wave);

    let _ = writeln!(out, "## Load (k6)\n");
    match r.k6 {
        Some(k) => {
            let _ = writeln!(out, "| figure | value |\n|---|---|");
            let scenario = k.scenario.as_deref().unwrap_or("unknown");
            let duration = k
                .duration_secs
                .map_or("n/a".to_owned(), |d| format!("{d:.1} s"));
            let rows = [
                ("scenario", scenario.to_owned()),
                ("duration", duration),
                ("offered (iterations)", format!("{:.0}", k.offered)),
                (
                    "dropped iterations (k6 could not start them in time)",
                    format!("{:.0}", k.dropped_iterations),
                ),
                ("accepted (202)", format!("{:.0}", k.accepted)),
                ("refused: invalid (422)", format!("{:.0}", k.invalid)),
                (
                    "refused: rate limited (429)",
                    format!("{:.0}", k.rate_limited),
                ),
                ("refused: overloaded (503)", format!("{:.0}", k.overloaded)),
                ("unexpected status", format!("{:.0}", k.unexpected)),
                (
                    "of which no answer (timeout, reset)",
                    format!("{:.0}", k.no_answer),
                ),
                (
                    "duplicates / invalid sent on purpose",
                    format!("{:.0} / {:.0}", k.duplicates_sent, k.invalid_sent),
                ),
                (
                    "accepted latency p50 / p95 / p99",
                    format!(
                        "{} / {} / {}",
                        ms(k.accepted_p50_ms),
                        ms(k.accepted_p95_ms),
                        ms(k.accepted_p99_ms)
                    ),
                ),
                (
                    "checks passed",
                    k.checks_rate
                        .map_or("n/a".to_owned(), |c| format!("{:.2} %", c * 100.0)),
                ),
                (
                    "thresholds",
                    (if k.thresholds_failed {
                        "FAILED"
                    } else {
                        "passed"
                    })
                    .to_owned(),
                ),
            ];
            for (name, value) in rows {
                let _ = writeln!(out, "| {name} | {value} |");
            }
        }
        None => out.push_str("No k6 summary given.\n"),
    }

    let _ = writeln!(
        out,
        "\n## Gateway intake by outcome (its own counters, before the load to after the drain)\n"
    );
    match r.gateway {
        GatewayCounts::Unavailable(why) => {
            let _ = writeln!(out, "Not available: {why}.");
        }
        GatewayCounts::Growth(growth) => {
            let _ = writeln!(out, "| outcome | requests |\n|---|---|");
            for (outcome, n) in growth {
                let _ = writeln!(out, "| {outcome} | {n:.0} |");
            }
        }
    }

    let _ = writeln!(out, "\n## Pipeline\n");
    let drain = r.drain.map_or_else(
        || format!("not drained within the {} s deadline", r.deadline.as_secs()),
        |d| format!("{:.1} s after the load ended", d.as_secs_f64()),
    );
    let _ = writeln!(out, "- drain time: {drain}");
    let _ = writeln!(
        out,
        "- end-to-end (submitted → final state) p50 / p99: {} / {}",
        ms(r.e2e_p50_ms),
        ms(r.e2e_p99_ms)
    );
    let _ = writeln!(out, "- final states: {}", r.final_states.join(", "));

    let _ = writeln!(out, "\n## Audit\n");
    let _ = writeln!(out, "| class | count |\n|---|---|");
    let _ = writeln!(out, "| accepted ids (told 202) | {} |", v.accepted);
    let _ = writeln!(out, "| records in wave | {} |", v.records);
    let _ = writeln!(out, "| **lost** | {} |", v.lost.len());
    let _ = writeln!(out, "| **duplicated** | {} |", v.duplicated.len());
    let _ = writeln!(out, "| **unexpected** | {} |", v.unexpected.len());
    let _ = writeln!(
        out,
        "| **stuck** (stored without 202, never final) | {} |",
        v.stuck.len()
    );
    let _ = writeln!(
        out,
        "| **unnotified** (final, a provider never got its message) | {} |",
        v.unnotified.len()
    );
    let _ = writeln!(
        out,
        "| recovered (no answer, stored) | {} |",
        v.recovered.len()
    );
    let _ = writeln!(
        out,
        "| indeterminate (refused, stored) | {} |",
        v.indeterminate.len()
    );
    for (effect, dup) in &v.duplicated_by_effect {
        let _ = writeln!(out, "| duplicated in {effect} | {} |", dup.len());
    }
    let _ = writeln!(out, "\n### Figures checked against each other\n");
    let _ = writeln!(out, "| check | result | figures |\n|---|---|---|");
    for c in &r.verdict.checks {
        let result = match c.ok {
            Some(true) => "agree",
            Some(false) => "**DISAGREE**",
            None => "not compared",
        };
        let _ = writeln!(out, "| {} | {result} | {} |", c.name, c.detail);
    }
    let _ = writeln!(out, "\n| state | count |\n|---|---|");
    for (state, n) in &v.by_state {
        let _ = writeln!(out, "| {state} | {n} |");
    }
    if !v.by_reason.is_empty() {
        let _ = writeln!(out, "\n| state/reason | count |\n|---|---|");
        for (reason, n) in &v.by_reason {
            let _ = writeln!(out, "| {reason} | {n} |");
        }
    }
    ids(&mut out, "Lost", &v.lost);
    ids(&mut out, "Duplicated", &v.duplicated);
    ids(&mut out, "Unexpected", &v.unexpected);
    ids(&mut out, "Stuck", &v.stuck);
    ids(&mut out, "Unnotified", &v.unnotified);
    ids(&mut out, "Indeterminate", &v.indeterminate);
    ids(&mut out, "Recovered", &v.recovered);
    out.push_str("\n![offered, accepted, drained per second and queue depth](chart.svg)\n");
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::checks::Check;
    use crate::classify::Classification;

    fn input<'a>(
        verdict: &'a Verdict,
        gateway: &'a GatewayCounts,
        finals: &'a [String],
    ) -> ReportInput<'a> {
        ReportInput {
            wave: 42,
            final_states: finals,
            deadline: Duration::from_secs(120),
            k6: None,
            gateway,
            verdict,
            drain: None,
            e2e_p50_ms: Some(12.0),
            e2e_p99_ms: None,
        }
    }

    #[test]
    fn a_clean_audit_passes_and_shows_every_class_at_zero() {
        let verdict = Verdict {
            classes: Classification {
                accepted: 3,
                records: 3,
                ..Classification::default()
            },
            checks: Vec::new(),
        };
        let gateway = GatewayCounts::Growth(BTreeMap::from([("accepted".to_owned(), 3.0)]));
        let text = render(&input(&verdict, &gateway, &["verified".to_owned()]));
        assert!(text.starts_with("# Load-test audit: wave 42 — PASS"));
        assert!(text.contains("| **lost** | 0 |"));
        assert!(text.contains("| indeterminate (refused, stored) | 0 |"));
        assert!(text.contains("| accepted | 3 |"));
        assert!(text.contains("not drained within the 120 s deadline"));
        assert!(text.contains("12.0 ms / n/a"));
    }

    #[test]
    fn a_failing_audit_lists_the_ids_at_fault_and_the_figures_that_disagree() {
        let verdict = Verdict {
            classes: Classification {
                accepted: 1,
                lost: BTreeSet::from(["abc".to_owned()]),
                ..Classification::default()
            },
            checks: vec![Check {
                name: "gateway accepted = k6 202s",
                detail: "gateway 194, k6 199".to_owned(),
                ok: Some(false),
            }],
        };
        let gateway = GatewayCounts::Unavailable("the gateway restarted".into());
        let text = render(&input(&verdict, &gateway, &[]));
        assert!(text.contains("— FAIL"));
        assert!(text.contains("Lost (first 1 of 1)"));
        assert!(text.contains("- `abc`"));
        assert!(
            text.contains("| gateway accepted = k6 202s | **DISAGREE** | gateway 194, k6 199 |")
        );
        assert!(text.contains("Not available: the gateway restarted."));
    }
}
