//! The report: per-level figures, the queue check and the goals, rendered as
//! Markdown and JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::generator::Run;
use crate::stats::{Summary, ms};

/// One level's figures.
#[derive(Debug, Clone, Serialize)]
pub struct LevelReport {
    /// Multiple of the sustainable rate.
    pub multiplier: u32,
    pub offered_per_sec: u64,
    pub duration_secs: f64,
    pub scheduled: u64,
    pub sent: u64,
    pub dropped: u64,
    pub sent_per_sec: f64,
    pub accepted: u64,
    pub accepted_per_sec: f64,
    pub by_status: BTreeMap<u16, u64>,
    pub refusals_by_type: BTreeMap<String, u64>,
    pub transport_failures: BTreeMap<String, u64>,
    pub other_5xx: u64,
    /// From the scheduled instant to the complete answer.
    pub accepted_latency: Summary,
    pub refused_latency: Summary,
    /// From the actual send to the complete answer.
    pub accepted_service: Summary,
    pub refused_service: Summary,
    /// How late requests left their scheduled instant (generator cost).
    pub send_lag: Summary,
    /// 1-minute load average when the level started.
    pub load_before: Option<f64>,
    /// Messages the intake queue gained during the level.
    pub queue_gain: Option<i64>,
    /// CPU used during the level, in cores (CPU seconds per second).
    pub generator_cores: Option<f64>,
    pub gateway_cores: Option<f64>,
}

impl LevelReport {
    #[must_use]
    pub fn new(multiplier: u32, offered: u64, run: Run) -> Self {
        let Run {
            scheduled,
            dropped,
            send_window,
            mut tally,
        } = run;
        let secs = send_window.as_secs_f64().max(f64::EPSILON);
        let sent = tally.sent();
        let accepted = tally.status(202);
        Self {
            multiplier,
            offered_per_sec: offered,
            duration_secs: round2(secs),
            scheduled,
            sent,
            dropped,
            sent_per_sec: round2(sent as f64 / secs),
            accepted,
            accepted_per_sec: round2(accepted as f64 / secs),
            other_5xx: tally.other_5xx(),
            accepted_latency: Summary::of(&mut tally.accepted),
            refused_latency: Summary::of(&mut tally.refused),
            accepted_service: Summary::of(&mut tally.accepted_service),
            refused_service: Summary::of(&mut tally.refused_service),
            send_lag: Summary::of(&mut tally.lag),
            by_status: tally.by_status,
            refusals_by_type: tally.by_problem,
            transport_failures: tally
                .failures
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            load_before: None,
            queue_gain: None,
            generator_cores: None,
            gateway_cores: None,
        }
    }

    fn refused(&self) -> u64 {
        self.refused_latency.count
    }

    fn other_statuses(&self) -> u64 {
        self.by_status
            .iter()
            .filter(|(code, _)| ![202, 429, 503].contains(*code))
            .map(|(_, n)| n)
            .sum()
    }
}

/// The intake queue after the run, against the 202s counted.
#[derive(Debug, Clone, Serialize)]
pub struct QueueCheck {
    pub queue: String,
    pub messages_before: u32,
    pub messages_after: u32,
    pub accepted_total: u64,
}

impl QueueCheck {
    /// Messages the run added minus the 202s: 0 when every 202 is on the queue.
    #[must_use]
    pub fn difference(&self) -> i64 {
        i64::from(self.messages_after)
            - i64::from(self.messages_before)
            - i64::try_from(self.accepted_total).unwrap_or(i64::MAX)
    }
}

/// One goal of issue 3, measured.
#[derive(Debug, Clone, Serialize)]
pub struct Goal {
    pub goal: String,
    pub measured: String,
    pub met: bool,
}

/// Everything one invocation produced.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub date: String,
    pub machine: String,
    pub target: String,
    pub sustainable_rate: u64,
    pub max_inflight: usize,
    pub clients: String,
    pub gateway: String,
    pub levels: Vec<LevelReport>,
    pub queue: Option<QueueCheck>,
    pub goals: Vec<Goal>,
}

impl RunReport {
    /// Derives the goals from the levels and the queue check.
    pub fn evaluate(&mut self) {
        let mut goals = Vec::new();
        let top = self.levels.iter().max_by_key(|l| l.multiplier);
        if let Some(top) = top {
            let p99 = top.refused_latency.p99_us;
            goals.push(Goal {
                goal: format!("refusals p99 < 5 ms at {}×", top.multiplier),
                measured: format!("{} ms ({} refusals)", ms(p99), top.refused()),
                met: top.multiplier >= 10 && p99.is_some_and(|p| p < 5_000),
            });
        }
        if let Some(base) = self.levels.iter().find(|l| l.multiplier == 1) {
            let p99 = base.accepted_latency.p99_us;
            goals.push(Goal {
                goal: "accepted p99 < 50 ms at 1×".to_owned(),
                measured: format!("{} ms ({} accepted)", ms(p99), base.accepted),
                met: p99.is_some_and(|p| p < 50_000),
            });
        }
        let other_5xx: u64 = self.levels.iter().map(|l| l.other_5xx).sum();
        goals.push(Goal {
            goal: "zero 5xx other than 503".to_owned(),
            measured: other_5xx.to_string(),
            met: other_5xx == 0,
        });
        let failures: u64 = self
            .levels
            .iter()
            .flat_map(|l| l.transport_failures.values())
            .sum();
        goals.push(Goal {
            goal: "every request sent got an answer (no transport failures)".to_owned(),
            measured: failures.to_string(),
            met: failures == 0,
        });
        goals.push(match &self.queue {
            Some(q) => Goal {
                goal: "every 202 is on the intake queue".to_owned(),
                measured: format!(
                    "{} messages added, {} × 202 (difference {})",
                    i64::from(q.messages_after) - i64::from(q.messages_before),
                    q.accepted_total,
                    q.difference()
                ),
                met: q.difference() == 0,
            },
            None => Goal {
                goal: "every 202 is on the intake queue".to_owned(),
                measured: "queue not counted".to_owned(),
                met: false,
            },
        });
        self.goals = goals;
    }

    /// The report as Markdown (tables and a few lines of context).
    #[must_use]
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "- date: {}", self.date);
        let _ = writeln!(out, "- machine: {}", self.machine);
        let _ = writeln!(out, "- target: {}", self.target);
        let _ = writeln!(
            out,
            "- sustainable rate S = {}/s; generator bound {} requests in flight",
            self.sustainable_rate, self.max_inflight
        );
        let _ = writeln!(out, "- clients: {}", self.clients);
        let _ = writeln!(out, "- gateway: {}\n", self.gateway);

        out.push_str(
            "| level | offered/s | sent/s | dropped | accepted/s | 202 | 429 | 503 | other | \
             accepted p50 / p99 ms | refused p50 / p99 ms | 5xx ≠ 503 | queue gain |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for l in &self.levels {
            let _ = writeln!(
                out,
                "| {}× | {} | {:.0} | {} | {:.0} | {} | {} | {} | {} | {} / {} | {} / {} | {} | {} |",
                l.multiplier,
                l.offered_per_sec,
                l.sent_per_sec,
                l.dropped,
                l.accepted_per_sec,
                l.accepted,
                l.by_status.get(&429).copied().unwrap_or(0),
                l.by_status.get(&503).copied().unwrap_or(0),
                l.other_statuses(),
                ms(l.accepted_latency.p50_us),
                ms(l.accepted_latency.p99_us),
                ms(l.refused_latency.p50_us),
                ms(l.refused_latency.p99_us),
                l.other_5xx,
                l.queue_gain
                    .map_or_else(|| "–".to_owned(), |g| g.to_string()),
            );
        }

        out.push_str(
            "\nLatencies above run from each request's scheduled instant to its complete \
             answer. Below, the same from the actual send, the generator's own lateness, \
             the cores the generator and the gateway used, and the load average before \
             each level.\n\n\
             | level | accepted p50 / p99 ms (from send) | refused p50 / p99 ms (from send) | \
             refused max ms | send lag p50 / p99 ms | generator cores | gateway cores | load before |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for l in &self.levels {
            let _ = writeln!(
                out,
                "| {}× | {} / {} | {} / {} | {} | {} / {} | {} | {} | {} |",
                l.multiplier,
                ms(l.accepted_service.p50_us),
                ms(l.accepted_service.p99_us),
                ms(l.refused_service.p50_us),
                ms(l.refused_service.p99_us),
                ms(l.refused_latency.max_us),
                ms(l.send_lag.p50_us),
                ms(l.send_lag.p99_us),
                cores(l.generator_cores),
                cores(l.gateway_cores),
                l.load_before
                    .map_or_else(|| "–".to_owned(), |x| format!("{x:.2}")),
            );
        }

        out.push_str("\n| level | refusal type | count |\n|---|---|---:|\n");
        for l in &self.levels {
            for (kind, n) in &l.refusals_by_type {
                let _ = writeln!(out, "| {}× | `{kind}` | {n} |", l.multiplier);
            }
            for (kind, n) in &l.transport_failures {
                let _ = writeln!(
                    out,
                    "| {}× | transport failure: {kind} | {n} |",
                    l.multiplier
                );
            }
        }

        if let Some(q) = &self.queue {
            let _ = writeln!(
                out,
                "\nIntake queue `{}`: {} messages before, {} after; {} × 202 in the run.",
                q.queue, q.messages_before, q.messages_after, q.accepted_total
            );
        }

        out.push_str("\n| goal | measured | met |\n|---|---|---|\n");
        for g in &self.goals {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                g.goal,
                g.measured,
                if g.met { "yes" } else { "**no**" }
            );
        }
        out
    }
}

fn cores(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |x| format!("{x:.2}"))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::tally::{Outcome, Sample, Tally};

    fn run(accepted: u32, refused: u32, refused_us: u64) -> Run {
        let mut tally = Tally::default();
        let sample = |status, problem: Option<&str>, us| Sample {
            lag: Duration::from_micros(10),
            latency: Duration::from_micros(us),
            service: Duration::from_micros(us),
            outcome: Outcome::Answered {
                status,
                problem: problem.map(str::to_owned),
            },
        };
        for _ in 0..accepted {
            tally.add(sample(202, None, 2_000));
        }
        for _ in 0..refused {
            tally.add(sample(
                429,
                Some("https://lonjak.dev/problems/busy"),
                refused_us,
            ));
        }
        Run {
            scheduled: u64::from(accepted + refused) + 5,
            dropped: 5,
            send_window: Duration::from_secs(2),
            tally,
        }
    }

    fn report(levels: Vec<LevelReport>, queue_after: u32) -> RunReport {
        let accepted_total = levels.iter().map(|l| l.accepted).sum();
        let mut r = RunReport {
            date: "2026-01-01T00:00:00Z".to_owned(),
            machine: "test".to_owned(),
            target: "http://127.0.0.1:1/v1/registrations".to_owned(),
            sustainable_rate: 100,
            max_inflight: 10,
            clients: "none".to_owned(),
            gateway: "test".to_owned(),
            levels,
            queue: Some(QueueCheck {
                queue: "q".to_owned(),
                messages_before: 0,
                messages_after: queue_after,
                accepted_total,
            }),
            goals: Vec::new(),
        };
        r.evaluate();
        r
    }

    #[test]
    fn a_level_reports_rates_counts_and_percentiles() {
        let l = LevelReport::new(3, 300, run(200, 400, 1_000));
        assert_eq!(l.sent, 600);
        assert_eq!(l.dropped, 5);
        assert!((l.sent_per_sec - 300.0).abs() < 1e-9);
        assert!((l.accepted_per_sec - 100.0).abs() < 1e-9);
        assert_eq!(l.accepted_latency.p99_us, Some(2_000));
        assert_eq!(l.refused_latency.p50_us, Some(1_000));
        assert_eq!(l.refusals_by_type.values().sum::<u64>(), 400);
    }

    #[test]
    fn goals_are_met_when_every_figure_is_within_bounds() {
        let levels = vec![
            LevelReport::new(1, 100, run(200, 0, 0)),
            LevelReport::new(10, 1_000, run(200, 1_800, 3_000)),
        ];
        let r = report(levels, 400);
        assert!(r.goals.iter().all(|g| g.met), "{:?}", r.goals);
        let md = r.markdown();
        assert!(md.contains("| 10× | 1000 |"));
        assert!(md.contains("https://lonjak.dev/problems/busy"));
    }

    #[test]
    fn slow_refusals_and_missing_messages_are_reported_as_missed() {
        let levels = vec![
            LevelReport::new(1, 100, run(200, 0, 0)),
            LevelReport::new(10, 1_000, run(200, 1_800, 9_000)),
        ];
        let r = report(levels, 399);
        let missed: Vec<_> = r.goals.iter().filter(|g| !g.met).map(|g| &g.goal).collect();
        assert_eq!(
            missed,
            [
                "refusals p99 < 5 ms at 10×",
                "every 202 is on the intake queue"
            ]
        );
        assert!(r.markdown().contains("difference -1"));
    }
}
