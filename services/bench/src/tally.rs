//! What came back: one [`Sample`] per request sent, folded into a [`Tally`].

use std::collections::BTreeMap;
use std::time::Duration;

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP answer; `problem` is the `type` of a problem+json body.
    Answered {
        status: u16,
        problem: Option<String>,
    },
    /// No answer: connection refused or reset, timeout… (a short kind).
    Failed(&'static str),
}

/// One request: how late it left, how long its answer took, how it ended.
#[derive(Debug, Clone)]
pub struct Sample {
    /// From the scheduled instant to the moment it was handed to the client.
    pub lag: Duration,
    /// From the scheduled instant to the complete answer (what an applicant
    /// arriving on schedule experiences; free of coordinated omission).
    pub latency: Duration,
    /// From the actual send to the complete answer.
    pub service: Duration,
    pub outcome: Outcome,
}

/// Everything counted during one level.
#[derive(Debug, Default)]
pub struct Tally {
    pub by_status: BTreeMap<u16, u64>,
    /// Refusals (429 and 503) by problem `type` URI.
    pub by_problem: BTreeMap<String, u64>,
    pub failures: BTreeMap<&'static str, u64>,
    /// Latencies in microseconds: 202s, refusals (429 and 503), all sends.
    pub accepted: Vec<u32>,
    pub accepted_service: Vec<u32>,
    pub refused: Vec<u32>,
    pub refused_service: Vec<u32>,
    pub lag: Vec<u32>,
}

impl Tally {
    pub fn add(&mut self, sample: Sample) {
        self.lag.push(micros(sample.lag));
        match sample.outcome {
            Outcome::Answered { status, problem } => {
                *self.by_status.entry(status).or_default() += 1;
                match status {
                    202 => {
                        self.accepted.push(micros(sample.latency));
                        self.accepted_service.push(micros(sample.service));
                    }
                    429 | 503 => {
                        self.refused.push(micros(sample.latency));
                        self.refused_service.push(micros(sample.service));
                        let kind = problem.unwrap_or_else(|| "(no problem type)".to_owned());
                        *self.by_problem.entry(kind).or_default() += 1;
                    }
                    _ => {}
                }
            }
            Outcome::Failed(kind) => *self.failures.entry(kind).or_default() += 1,
        }
    }

    /// Requests that got an answer or failed: every request sent.
    #[must_use]
    pub fn sent(&self) -> u64 {
        self.by_status.values().sum::<u64>() + self.failures.values().sum::<u64>()
    }

    #[must_use]
    pub fn status(&self, code: u16) -> u64 {
        self.by_status.get(&code).copied().unwrap_or(0)
    }

    /// 5xx answers other than the deliberate 503.
    #[must_use]
    pub fn other_5xx(&self) -> u64 {
        self.by_status
            .iter()
            .filter(|(code, _)| (500..600).contains(*code) && **code != 503)
            .map(|(_, n)| n)
            .sum()
    }
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16, problem: Option<&str>, latency_us: u64) -> Sample {
        Sample {
            lag: Duration::from_micros(5),
            latency: Duration::from_micros(latency_us),
            service: Duration::from_micros(latency_us - 5),
            outcome: Outcome::Answered {
                status,
                problem: problem.map(str::to_owned),
            },
        }
    }

    #[test]
    fn answers_are_sorted_into_accepted_refused_and_other() {
        let mut t = Tally::default();
        t.add(answered(202, None, 900));
        t.add(answered(429, Some("https://lonjak.dev/problems/busy"), 100));
        t.add(answered(
            503,
            Some("https://lonjak.dev/problems/overloaded"),
            200,
        ));
        t.add(answered(500, None, 50));
        t.add(answered(422, Some("x"), 50));
        t.add(Sample {
            outcome: Outcome::Failed("timeout"),
            ..answered(0, None, 10)
        });
        assert_eq!(t.sent(), 6);
        assert_eq!(t.status(202), 1);
        assert_eq!(t.accepted, [900]);
        assert_eq!(t.accepted_service, [895]);
        assert_eq!(t.refused, [100, 200]);
        assert_eq!(t.by_problem.len(), 2);
        assert_eq!(t.other_5xx(), 1);
        assert_eq!(t.failures.get("timeout"), Some(&1));
        assert_eq!(t.lag.len(), 6);
    }
}
