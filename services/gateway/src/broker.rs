//! The gateway's hold on the broker: connected in the background, so the
//! gateway starts (and answers 503) even while RabbitMQ is unreachable.
//! Once connected, `lonjak-bus` recovers the connection by itself.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use lonjak_bus::{Bus, BusConfig, WorkQueue};
use tokio_util::sync::CancellationToken;

use crate::metrics::IntakeMetrics;

/// Set once, when the first connection succeeds.
#[derive(Clone, Default)]
pub struct BusSlot(Arc<OnceLock<Bus>>);

impl BusSlot {
    pub fn get(&self) -> Option<&Bus> {
        self.0.get()
    }

    /// Keeps trying to connect until it succeeds or `shutdown` fires.
    pub fn connect_in_background(
        &self,
        config: BusConfig,
        retry: Duration,
        shutdown: CancellationToken,
    ) {
        let slot = self.0.clone();
        tokio::spawn(async move {
            loop {
                match Bus::connect(config.clone()).await {
                    Ok(bus) => {
                        tracing::info!("connected to the broker");
                        let _ = slot.set(bus);
                        return;
                    }
                    Err(error) => tracing::warn!(%error, "broker unreachable; retrying"),
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(retry) => {}
                }
            }
        });
    }
}

/// Depth of the intake queue and the rate at which it drains, sampled in the
/// background: answers `Retry-After` for a full queue and the status page's
/// position estimate without a broker round trip per request.
#[derive(Clone, Default)]
pub struct QueueGauge(Arc<std::sync::Mutex<QueueSample>>);

#[derive(Debug, Clone, Copy, Default)]
pub struct QueueSample {
    pub depth: u32,
    /// Messages consumed per second, smoothed.
    pub drain_per_sec: f64,
    /// Registrations confirmed per second, smoothed.
    pub accept_per_sec: f64,
    /// The drain rate every replica shares (registrations leaving `queued`
    /// per second, measured from the store) and its spread; 0 when unknown.
    /// Preferred over `drain_per_sec` (see `waitroom::drain`).
    pub shared_drain_per_sec: f64,
    pub shared_drain_std_dev: f64,
    /// How long the shared drain has been stopped (0 while it runs), and
    /// the running count of registrations that have left `queued`.
    pub shared_stalled_secs: f64,
    pub shared_total_left: i64,
    /// How much faster the shared drain was with a backlog and (almost) no
    /// arrivals than while they went on (0 until measured): what the
    /// pipeline gains once a burst is over.
    pub shared_quiet_speedup: f64,
    /// Whether the shared rate was measured with the intake backed up;
    /// until then it is only a lower bound (the arrival rate seen).
    pub shared_busy_measured: bool,
    /// Whether this replica's own samples have seen the queue backed up.
    pub busy_seen: bool,
    /// The rate assumed while no backlog has been measured anywhere (a new
    /// database, a burst's first second): `admission.global_per_sec`, the
    /// operator's figure for what the pipeline absorbs.
    pub assumed_per_sec: f64,
    /// How fast `depth` has been changing (smoothed, per second), and when
    /// it was read: a sample is up to a second old, and more when the
    /// broker is slow to answer under load, while a burst adds thousands a
    /// second. Receipts extrapolate from it (`depth_now`).
    pub growth_per_sec: f64,
    pub sampled_at: Option<Instant>,
    /// This replica's accepted count when `depth` was read: what it has
    /// accepted since is on the queue too, seen or not by the trend (a
    /// burst's first second).
    pub accepted_at_sample: u64,
}

/// How far `depth_now` extrapolates a sample at most: a gauge that has not
/// sampled for longer says nothing about now.
const EXTRAPOLATE_AT_MOST: Duration = Duration::from_secs(5);

impl QueueSample {
    /// A new receipt's queue mark: the count of registrations that will
    /// have left the queue when this one does (those left so far plus the
    /// queue ahead of it). Its status check subtracts the count left by
    /// then, so every replica can tell what is still ahead of it without a
    /// per-registration record.
    /// `ahead`: the depth as of now ([`QueueSample::depth_now`]).
    pub fn queue_mark(&self, ahead: u32) -> u64 {
        u64::try_from(self.shared_total_left).unwrap_or(0) + u64::from(ahead)
    }

    /// The depth now, given this replica's accepted count now: the last
    /// sample moved on for the time since it was read (at most
    /// `EXTRAPOLATE_AT_MOST`), by its recent rate of change or by what this
    /// replica has accepted since less the drain, whichever is more (other
    /// replicas' arrivals are seen only in the trend).
    pub fn depth_now(&self, accepted_now: u64) -> u32 {
        let Some(at) = self.sampled_at else {
            return self.depth;
        };
        let age = at.elapsed().min(EXTRAPOLATE_AT_MOST).as_secs_f64();
        let trend = self.growth_per_sec * age;
        let ours =
            accepted_now.saturating_sub(self.accepted_at_sample) as f64 - self.drain_rate() * age;
        let now = f64::from(self.depth) + trend.max(ours);
        now.clamp(0.0, f64::from(u32::MAX)) as u32
    }

    /// The drain rate estimates use: the shared one once measured with a
    /// backlog; before that (a new database) the shared lower bound or this
    /// replica's own measure, whichever is more, and before this replica
    /// has seen a backlog either, the rate assumed (what the admission
    /// limit says the pipeline absorbs) if that is more: dividing a burst's
    /// first second by a trickle's rate announced waits of minutes.
    pub fn drain_rate(&self) -> f64 {
        let measured = self.shared_drain_per_sec.max(self.drain_per_sec);
        if self.shared_busy_measured && self.shared_drain_per_sec > 0.0 {
            self.shared_drain_per_sec
        } else if self.busy_seen {
            measured
        } else {
            measured.max(self.assumed_per_sec)
        }
    }

    /// The rate a wait in the intake queue is announced at. A wait that
    /// starts during a burst drains at today's rate while arrivals go on and
    /// faster once they stop (where intake and workers share machines: by
    /// the measured speed-up), and when they stop is not known: it is
    /// announced at the geometric mean of the two, the rate whose worst
    /// relative error over that range is smallest. Once arrivals have
    /// stopped, the rate now is already the quiet one.
    pub fn wait_rate(&self) -> f64 {
        let now = self.drain_rate();
        if now > 0.0 && self.shared_quiet_speedup > 1.0 && !self.is_quiet() {
            now * self.shared_quiet_speedup.sqrt()
        } else {
            now
        }
    }

    /// A backlog and (almost) no arrivals: the depth falls by at least
    /// three quarters of what drains.
    pub fn is_quiet(&self) -> bool {
        self.depth > 0 && self.growth_per_sec < -0.75 * self.drain_rate()
    }
}

impl QueueGauge {
    /// A gauge that assumes `per_sec` until a backlog has been measured.
    pub fn assuming(per_sec: f64) -> Self {
        Self(Arc::new(std::sync::Mutex::new(QueueSample {
            assumed_per_sec: per_sec,
            ..QueueSample::default()
        })))
    }

    pub fn sample(&self) -> QueueSample {
        self.0.lock().map(|s| *s).unwrap_or_default()
    }

    /// Seconds until `backlog` messages have drained at the recent rate:
    /// 0 for no backlog, else bounded to [1, 600] so a stalled consumer does
    /// not produce absurd waits. While the shared drain is stopped, the
    /// backlog's time at the last busy rate plus as long again as the stop
    /// has lasted so far: a stop's length is not known in advance, and one
    /// that has lasted s seconds is, with no other knowledge, as likely to
    /// end before as after another s.
    pub fn seconds_to_drain(&self, backlog: u32) -> u64 {
        if backlog == 0 {
            return 0;
        }
        let sample = self.sample();
        let rate = sample.wait_rate();
        if rate < 0.1 {
            return 60;
        }
        let secs = f64::from(backlog) / rate + sample.shared_stalled_secs.max(0.0);
        (secs.ceil() as u64).clamp(1, 600)
    }

    /// Of `depth` messages in the queue, those still ahead of a receipt
    /// whose queue mark is `mark` (see [`QueueSample::queue_mark`]).
    pub fn ahead_of_mark(&self, mark: Option<u64>) -> u32 {
        let s = self.sample();
        match mark {
            Some(mark) if s.shared_total_left > 0 || s.shared_drain_per_sec > 0.0 => {
                let left = u64::try_from(s.shared_total_left).unwrap_or(0);
                u32::try_from(mark.saturating_sub(left))
                    .unwrap_or(u32::MAX)
                    .min(s.depth)
            }
            _ => s.depth,
        }
    }

    /// Records the shared drain rate (from `waitroom::drain`).
    pub fn set_shared_drain(&self, rate: lonjak_store::DrainRate) {
        if let Ok(mut s) = self.0.lock() {
            s.shared_drain_per_sec = rate.per_sec;
            s.shared_drain_std_dev = rate.std_dev();
            s.shared_stalled_secs = rate.stalled_secs;
            s.shared_total_left = rate.total_left;
            s.shared_quiet_speedup = rate.quiet_speedup;
            s.shared_busy_measured = rate.busy_measured;
        }
    }

    /// When a full or alarmed queue should have room again: once a tenth of
    /// the current backlog has drained at the recent rate.
    pub fn seconds_until_room(&self) -> u64 {
        self.seconds_to_drain(self.sample().depth / 10)
    }

    /// Seconds until `waiting` in-flight publishes are answered at the recent
    /// confirm rate; bounded to [1, 60].
    pub fn seconds_to_confirm(&self, waiting: usize) -> u64 {
        let rate = self.sample().accept_per_sec;
        if rate < 1.0 {
            return 5;
        }
        ((waiting as f64 / rate).ceil() as u64).clamp(1, 60)
    }

    /// Samples every `period`. Drain = published − growth, where published
    /// comes from the accepted counter the caller supplies.
    pub fn run(
        &self,
        slot: BusSlot,
        accepted: Arc<std::sync::atomic::AtomicU64>,
        metrics: IntakeMetrics,
        period: Duration,
        shutdown: CancellationToken,
    ) {
        let gauge = self.0.clone();
        tokio::spawn(async move {
            let mut last: Option<(Instant, u32, u64)> = None;
            let mut ticker = tokio::time::interval(period);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = ticker.tick() => {}
                }
                let Some(bus) = slot.get() else { continue };
                let name = bus.topology().queue(WorkQueue::Verifier);
                let Ok(depth) = bus.queue_depth(&name).await else {
                    continue;
                };
                let now = Instant::now();
                let published = accepted.load(std::sync::atomic::Ordering::Relaxed);
                let Ok(mut s) = gauge.lock() else { return };
                if let Some((then, prev_depth, prev_published)) = last {
                    let dt = now.duration_since(then).as_secs_f64().max(1e-3);
                    let added = published.saturating_sub(prev_published) as f64;
                    let drained =
                        (f64::from(prev_depth) + added - f64::from(depth.messages)).max(0.0);
                    let instant_rate = drained / dt;
                    // Exponential smoothing: one slow second must not swing estimates.
                    // Backed up at both ends of the period: the first such
                    // period's rate is taken whole (before it, the drain
                    // measured was only the arrival rate).
                    let busy = prev_depth > 0 && depth.messages > 0;
                    s.drain_per_sec = if busy && !s.busy_seen {
                        instant_rate
                    } else {
                        0.7 * s.drain_per_sec + 0.3 * instant_rate
                    };
                    s.busy_seen |= busy;
                    s.accept_per_sec = 0.7 * s.accept_per_sec + 0.3 * (added / dt);
                    let growth = (f64::from(depth.messages) - f64::from(prev_depth)) / dt;
                    s.growth_per_sec = if depth.messages == 0 {
                        0.0
                    } else {
                        0.5 * s.growth_per_sec + 0.5 * growth
                    };
                }
                s.depth = depth.messages;
                s.sampled_at = Some(now);
                s.accepted_at_sample = published;
                metrics.set_queue(s.depth, s.drain_per_sec);
                last = Some((now, depth.messages, published));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(depth: u32, growth_per_sec: f64, ago: Duration) -> QueueSample {
        QueueSample {
            depth,
            growth_per_sec,
            sampled_at: Instant::now().checked_sub(ago),
            accepted_at_sample: 100,
            shared_drain_per_sec: 500.0,
            ..QueueSample::default()
        }
    }

    #[test]
    fn a_sample_is_moved_on_at_its_rate_of_change_for_its_age() {
        let growing = read(3_000, 1_000.0, Duration::from_secs(2));
        let now = growing.depth_now(100);
        assert!((5_000..5_050).contains(&now), "{now}");
        let counted = QueueSample {
            shared_total_left: 70_000,
            ..growing
        };
        assert_eq!(counted.queue_mark(now), 70_000 + u64::from(now));

        let emptying = read(500, -1_000.0, Duration::from_secs(2));
        assert_eq!(emptying.depth_now(100), 0);
    }

    #[test]
    fn what_this_replica_accepted_since_counts_before_the_trend_shows_it() {
        // A burst's first second: the sample saw an empty queue, and this
        // replica has accepted 2,000 since while 500/s drained.
        let quiet = read(0, 0.0, Duration::from_secs(1));
        let now = quiet.depth_now(2_100);
        assert!((1_450..=1_500).contains(&now), "{now}");
        assert_eq!(quiet.depth_now(100), 0, "nothing accepted, nothing added");
    }

    #[test]
    fn a_silent_gauge_is_extrapolated_a_few_seconds_at_most() {
        let stale = read(1_000, 100.0, Duration::from_secs(60));
        assert_eq!(stale.depth_now(100), 1_500);
        let never = QueueSample {
            depth: 7,
            growth_per_sec: 100.0,
            ..QueueSample::default()
        };
        assert_eq!(never.depth_now(1_000), 7);
    }

    #[test]
    fn a_wait_in_a_burst_is_announced_between_the_rate_now_and_the_quiet_rate() {
        let burst = QueueSample {
            depth: 5_000,
            growth_per_sec: 1_500.0,
            shared_drain_per_sec: 400.0,
            shared_busy_measured: true,
            shared_quiet_speedup: 2.25,
            ..QueueSample::default()
        };
        assert_eq!(burst.wait_rate(), 600.0);
        // Arrivals have stopped: the rate now is the quiet one.
        let after = QueueSample {
            growth_per_sec: -380.0,
            ..burst
        };
        assert!(after.is_quiet());
        assert_eq!(after.wait_rate(), 400.0);
        // No speed-up (intake and workers on machines of their own), or
        // none measured yet.
        for speedup in [0.95, 0.0] {
            let flat = QueueSample {
                shared_quiet_speedup: speedup,
                ..burst
            };
            assert_eq!(flat.wait_rate(), 400.0);
        }
    }

    #[test]
    fn a_shared_rate_never_measured_with_a_backlog_is_only_a_floor() {
        let fresh = QueueSample {
            shared_drain_per_sec: 3.0,
            drain_per_sec: 650.0,
            ..QueueSample::default()
        };
        assert_eq!(fresh.drain_rate(), 650.0);
        let measured = QueueSample {
            shared_busy_measured: true,
            ..fresh
        };
        assert_eq!(measured.drain_rate(), 3.0);
    }

    #[test]
    fn before_any_backlog_was_measured_the_admission_limit_is_assumed() {
        let fresh = QueueSample {
            shared_drain_per_sec: 3.0,
            drain_per_sec: 2.0,
            assumed_per_sec: 1_200.0,
            ..QueueSample::default()
        };
        assert_eq!(fresh.drain_rate(), 1_200.0);
        let seen = QueueSample {
            busy_seen: true,
            drain_per_sec: 640.0,
            ..fresh
        };
        assert_eq!(seen.drain_rate(), 640.0, "a measured backlog wins");
        let shared = QueueSample {
            shared_busy_measured: true,
            ..fresh
        };
        assert_eq!(shared.drain_rate(), 3.0);
        assert_eq!(
            QueueGauge::assuming(1_200.0).seconds_to_drain(600),
            1,
            "600 ahead at the assumed 1,200/s"
        );
    }
}
