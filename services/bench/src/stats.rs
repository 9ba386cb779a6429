//! Latency summaries from plain vectors of microseconds (nearest-rank
//! percentiles: every figure reported is a latency that was observed).

use serde::Serialize;

/// The nearest-rank `p`-th percentile (0 < p ≤ 100) of ascending `sorted`.
#[must_use]
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() || !(p > 0.0 && p <= 100.0) {
        return None;
    }
    // The rank is at most len, so the float round trip cannot overflow.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// Count and percentiles of one set of latencies, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub count: u64,
    pub p50_us: Option<u32>,
    pub p99_us: Option<u32>,
    pub max_us: Option<u32>,
}

impl Summary {
    /// Summarises `values` (sorted in place).
    #[must_use]
    pub fn of(values: &mut [u32]) -> Self {
        values.sort_unstable();
        Self {
            count: values.len() as u64,
            p50_us: percentile(values, 50.0),
            p99_us: percentile(values, 99.0),
            max_us: values.last().copied(),
        }
    }
}

/// Microseconds as milliseconds with two decimals, or "–" when absent.
#[must_use]
pub fn ms(us: Option<u32>) -> String {
    us.map_or_else(
        || "–".to_owned(),
        |us| format!("{:.2}", f64::from(us) / 1000.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_of_one_to_a_hundred() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&v, 0.5), Some(1));
    }

    #[test]
    fn small_samples_report_an_observed_value() {
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[1, 2, 3], 50.0), Some(2));
        assert_eq!(percentile(&[1, 2, 3], 99.0), Some(3));
    }

    #[test]
    fn empty_input_or_invalid_p_gives_none() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[1], 0.0), None);
        assert_eq!(percentile(&[1], 101.0), None);
        assert_eq!(percentile(&[1], f64::NAN), None);
    }

    #[test]
    fn summary_sorts_and_counts() {
        let mut v = vec![30, 10, 20];
        let s = Summary::of(&mut v);
        assert_eq!(s.count, 3);
        assert_eq!(s.p50_us, Some(20));
        assert_eq!(s.p99_us, Some(30));
        assert_eq!(s.max_us, Some(30));
        assert_eq!(Summary::of(&mut []), Summary::default());
    }

    #[test]
    fn milliseconds_have_two_decimals() {
        assert_eq!(ms(Some(1_234)), "1.23");
        assert_eq!(ms(None), "–");
    }
}
