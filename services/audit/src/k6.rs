//! Figures read from the JSON summary that the scenarios' `handleSummary` writes
//! (k6's summary data object, plus a `lonjak` section with the run's settings).

use serde_json::Value;

/// The sub-metric the scenarios put their accepted-latency threshold on; k6
/// tags every request with its status, so this is the duration of 202s only.
pub const ACCEPTED_DURATION: &str = "http_req_duration{status:202}";

/// What one k6 run offered and was answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct K6Summary {
    /// Scenario name, from the summary's `lonjak` section.
    pub scenario: Option<String>,
    /// Iterations started: one registration attempt each.
    pub offered: f64,
    /// Iterations k6 could not start on schedule (it lacked VUs or CPU).
    pub dropped_iterations: f64,
    /// Answers by status: 202, 422, 429, 503, and anything not expected.
    pub accepted: f64,
    pub invalid: f64,
    pub rate_limited: f64,
    pub overloaded: f64,
    pub unexpected: f64,
    /// Requests that got no answer at all (timeout, reset); a subset of
    /// `unexpected`. The gateway may still have answered them.
    pub no_answer: f64,
    /// Re-submissions and spoiled bodies sent on purpose.
    pub duplicates_sent: f64,
    pub invalid_sent: f64,
    /// Share of response-shape checks that passed.
    pub checks_rate: Option<f64>,
    /// Wall time of the test run, in seconds.
    pub duration_secs: Option<f64>,
    /// Latency of accepted (202) requests.
    pub accepted_p50_ms: Option<f64>,
    pub accepted_p95_ms: Option<f64>,
    pub accepted_p99_ms: Option<f64>,
    /// Whether any threshold failed, per the summary.
    pub thresholds_failed: bool,
}

fn stat(root: &Value, metric: &str, stat: &str) -> Option<f64> {
    root.get("metrics")?
        .get(metric)?
        .get("values")?
        .get(stat)?
        .as_f64()
}

fn count(root: &Value, metric: &str) -> f64 {
    stat(root, metric, "count").unwrap_or(0.0)
}

fn any_threshold_failed(root: &Value) -> bool {
    let Some(metrics) = root.get("metrics").and_then(Value::as_object) else {
        return false;
    };
    metrics
        .values()
        .filter_map(|m| m.get("thresholds")?.as_object())
        .flat_map(|t| t.values())
        .any(|t| t.get("ok").and_then(Value::as_bool) == Some(false))
}

impl K6Summary {
    /// Extracts the figures; metrics that never received a sample are zero.
    pub fn from_json(root: &Value) -> Self {
        Self {
            scenario: root
                .pointer("/lonjak/scenario")
                .and_then(Value::as_str)
                .map(str::to_owned),
            offered: count(root, "iterations"),
            dropped_iterations: count(root, "dropped_iterations"),
            accepted: count(root, "registrations_accepted"),
            invalid: count(root, "registrations_invalid"),
            rate_limited: count(root, "registrations_rate_limited"),
            overloaded: count(root, "registrations_overloaded"),
            unexpected: count(root, "unexpected_status"),
            no_answer: count(root, "registrations_no_answer"),
            duplicates_sent: count(root, "duplicates_sent"),
            invalid_sent: count(root, "invalid_sent"),
            checks_rate: stat(root, "checks", "rate"),
            duration_secs: root
                .pointer("/state/testRunDurationMs")
                .and_then(Value::as_f64)
                .map(|ms| ms / 1000.0),
            accepted_p50_ms: stat(root, ACCEPTED_DURATION, "p(50)")
                .or_else(|| stat(root, ACCEPTED_DURATION, "med")),
            accepted_p95_ms: stat(root, ACCEPTED_DURATION, "p(95)"),
            accepted_p99_ms: stat(root, ACCEPTED_DURATION, "p(99)"),
            thresholds_failed: any_threshold_failed(root),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_trends_and_threshold_results_are_read() {
        let json = serde_json::json!({
            "lonjak": {"scenario": "spike"},
            "state": {"testRunDurationMs": 61000.0},
            "metrics": {
                "iterations": {"values": {"count": 100.0}},
                "registrations_accepted": {"values": {"count": 90.0}},
                "registrations_overloaded": {"values": {"count": 10.0}},
                "checks": {"values": {"rate": 1.0}},
                "http_req_duration{status:202}": {
                    "values": {"p(50)": 2.5, "p(95)": 8.0, "p(99)": 20.0},
                    "thresholds": {"p(99)<100": {"ok": true}}
                },
                "unexpected_status": {
                    "values": {"count": 0.0},
                    "thresholds": {"count==0": {"ok": false}}
                }
            }
        });
        let s = K6Summary::from_json(&json);
        assert_eq!(s.scenario.as_deref(), Some("spike"));
        assert_eq!(s.offered, 100.0);
        assert_eq!(s.accepted, 90.0);
        assert_eq!(s.overloaded, 10.0);
        assert_eq!(s.rate_limited, 0.0);
        assert_eq!(s.accepted_p99_ms, Some(20.0));
        assert_eq!(s.duration_secs, Some(61.0));
        assert!(s.thresholds_failed);
    }

    #[test]
    fn an_empty_summary_reads_as_zeroes_without_failed_thresholds() {
        let s = K6Summary::from_json(&serde_json::json!({}));
        assert_eq!(s, K6Summary::default());
    }
}
