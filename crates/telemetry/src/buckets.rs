//! Explicit histogram buckets, identical in every service so that histograms
//! aggregate across replicas and stages.

/// Latency buckets in seconds: 0.5 ms … 10 s. Intake answers live in the
/// sub-millisecond to tens-of-milliseconds range; registry calls and
/// end-to-end times in the upper range.
pub const LATENCY_SECONDS: [f64; 16] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 120.0,
];

/// An iterator over [`LATENCY_SECONDS`], the form `prometheus_client` takes.
pub fn latency_seconds() -> impl Iterator<Item = f64> {
    LATENCY_SECONDS.into_iter()
}
