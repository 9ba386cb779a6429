//! Percentiles by the nearest-rank method, the definition k6 and most
//! latency reports use for small samples.

/// The `p`-th percentile (0 < p <= 100) of `values`, or `None` when empty.
/// Sorts a copy; NaNs are ignored.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let p = p.clamp(0.0, 100.0);
    // Nearest rank: ceil(p/100 * n), 1-based; rank 0 (p = 0) means the minimum.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_has_no_percentile() {
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn nearest_rank_matches_the_textbook_example() {
        let values = [15.0, 20.0, 35.0, 40.0, 50.0];
        assert_eq!(percentile(&values, 5.0), Some(15.0));
        assert_eq!(percentile(&values, 30.0), Some(20.0));
        assert_eq!(percentile(&values, 40.0), Some(20.0));
        assert_eq!(percentile(&values, 50.0), Some(35.0));
        assert_eq!(percentile(&values, 100.0), Some(50.0));
    }

    #[test]
    fn order_of_input_does_not_matter() {
        let values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&values, 99.0), Some(99.0));
        assert_eq!(percentile(&values, 50.0), Some(50.0));
        assert_eq!(percentile(&values, 0.0), Some(1.0));
    }
}
