//! The limiters and the in-flight cap, and the decision they make together.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::config::AdmissionSettings;
use crate::metrics::Outcome;

type KeyedLimiter =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock, StateInformationMiddleware>;
type DirectLimiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

/// Above this many tracked clients, idle state is purged at the next second
/// rather than at the next regular purge: a flood from a million addresses
/// stays bounded. (Counting is not free, so it is not done per request.)
const MAX_TRACKED_CLIENTS: usize = 500_000;
const SIZE_CHECK: Duration = Duration::from_secs(1);

pub struct Admission {
    client: KeyedLimiter,
    status: KeyedLimiter,
    status_limit: u32,
    global: DirectLimiter,
    inflight: Arc<Semaphore>,
    max_inflight: usize,
    client_limit: u32,
    global_limit: u32,
    client_interval: Duration,
    clock: DefaultClock,
}

/// Rate-limit headers to attach to an admitted request's answer.
#[derive(Debug, Clone, Copy)]
pub struct Admitted {
    pub limit: u32,
    pub remaining: u32,
    pub reset_secs: u64,
}

/// Estimated waits, from the queue sampler (see `broker::QueueGauge`).
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    /// Until the intake queue has drained enough to take more.
    pub queue: Duration,
    /// Until the registrations now waiting for confirms have been answered.
    pub inflight: Duration,
}

/// Why a request was refused and when to come back.
pub struct Refused {
    pub outcome: Outcome,
    pub retry_after: Duration,
    /// `(limit, reset)` for `RateLimit-*` headers where a limiter decided.
    pub rate_limit: Option<(u32, u64)>,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Admission {
    pub fn new(s: &AdmissionSettings) -> Self {
        let client_quota =
            Quota::per_second(nonzero(s.client_per_sec)).allow_burst(nonzero(s.client_burst));
        let global_quota =
            Quota::per_second(nonzero(s.global_per_sec)).allow_burst(nonzero(s.global_burst));
        let status_quota =
            Quota::per_second(nonzero(s.status_per_sec)).allow_burst(nonzero(s.status_burst));
        Self {
            client: RateLimiter::keyed(client_quota)
                .with_middleware::<StateInformationMiddleware>(),
            status: RateLimiter::keyed(status_quota)
                .with_middleware::<StateInformationMiddleware>(),
            status_limit: s.status_burst,
            global: RateLimiter::direct(global_quota)
                .with_middleware::<StateInformationMiddleware>(),
            inflight: Arc::new(Semaphore::new(s.max_inflight)),
            max_inflight: s.max_inflight,
            client_limit: s.client_burst,
            global_limit: s.global_burst,
            client_interval: client_quota.replenish_interval(),
            clock: DefaultClock::default(),
        }
    }

    /// The checks made before the body is read, cheapest first: per-client
    /// limit (`client` is the limit key, see `limit_key`), global limit,
    /// broker alarm. `waits` is asked only when the alarm refuses.
    pub fn admit(
        &self,
        client: Option<IpAddr>,
        blocked: bool,
        waits: impl FnOnce() -> Waits,
    ) -> Result<Admitted, Refused> {
        self.admit_checked(client, blocked, false, waits)
    }

    /// `admit` for a submission the waiting room has already paced (it
    /// carries a ticket signed for a waiting-room wave): it takes a token of
    /// the global limit when one is there, so the direct flow still sees
    /// the load, but is not refused by it. The waiting room admits at most
    /// the global rate, yet the people it lets in one tick submit within
    /// the same seconds and would otherwise meet the limit in a clump.
    /// Whether the ticket is admitted is checked later, by the gate.
    pub fn admit_paced(
        &self,
        client: Option<IpAddr>,
        blocked: bool,
        waits: impl FnOnce() -> Waits,
    ) -> Result<Admitted, Refused> {
        self.admit_checked(client, blocked, true, waits)
    }

    fn admit_checked(
        &self,
        client: Option<IpAddr>,
        blocked: bool,
        paced: bool,
        waits: impl FnOnce() -> Waits,
    ) -> Result<Admitted, Refused> {
        let mut headers = Admitted {
            limit: self.global_limit,
            remaining: 0,
            reset_secs: 0,
        };
        if let Some(ip) = client {
            match self.client.check_key(&ip) {
                Ok(snapshot) => {
                    let remaining = snapshot.remaining_burst_capacity();
                    let reset =
                        self.client_interval * (self.client_limit.saturating_sub(remaining));
                    headers = Admitted {
                        limit: self.client_limit,
                        remaining,
                        reset_secs: ceil_secs(reset),
                    };
                }
                Err(not_until) => {
                    return Err(self.limited(
                        Outcome::rate_limited_client,
                        self.client_limit,
                        &not_until,
                    ));
                }
            }
        }
        if let Err(not_until) = self.global.check()
            && !paced
        {
            return Err(self.limited(Outcome::rate_limited_global, self.global_limit, &not_until));
        }
        if blocked {
            return Err(Refused {
                outcome: Outcome::broker_blocked,
                retry_after: waits().queue,
                rate_limit: None,
            });
        }
        Ok(headers)
    }

    /// An in-flight slot, taken once the body is read and parsed, held only
    /// around the publish: a slow client never holds one.
    pub fn acquire(&self, waits: impl FnOnce() -> Waits) -> Result<OwnedSemaphorePermit, Refused> {
        self.inflight
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refused {
                outcome: Outcome::overloaded_inflight,
                retry_after: waits().inflight,
                rate_limit: None,
            })
    }

    /// The per-client limit of status look-ups.
    pub fn admit_status(&self, client: Option<IpAddr>) -> Result<(), Refused> {
        let Some(ip) = client else { return Ok(()) };
        self.status.check_key(&ip).map(|_| ()).map_err(|not_until| {
            self.limited(Outcome::rate_limited_client, self.status_limit, &not_until)
        })
    }

    fn limited(
        &self,
        outcome: Outcome,
        limit: u32,
        not_until: &governor::NotUntil<<DefaultClock as Clock>::Instant>,
    ) -> Refused {
        let wait = not_until.wait_time_from(self.clock.now());
        Refused {
            outcome,
            retry_after: wait,
            rate_limit: Some((limit, ceil_secs(wait))),
        }
    }

    /// Requests currently holding an in-flight permit.
    pub fn inflight(&self) -> usize {
        self.max_inflight - self.inflight.available_permits()
    }

    pub fn tracked_clients(&self) -> usize {
        self.client.len() + self.status.len()
    }

    /// Forgets clients whose limiter state is back to fresh.
    pub fn gc(&self) {
        for limiter in [&self.client, &self.status] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Purges idle client state every `period`, or within a second once
    /// more than `MAX_TRACKED_CLIENTS` are tracked, until `shutdown`.
    pub fn run_gc(self: &Arc<Self>, period: Duration, shutdown: CancellationToken) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(SIZE_CHECK.min(period));
            let mut last = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = ticker.tick() => {}
                }
                if last.elapsed() >= period || this.tracked_clients() > MAX_TRACKED_CLIENTS {
                    this.gc();
                    last = tokio::time::Instant::now();
                }
            }
        });
    }
}

/// Whole seconds, rounded up: `Retry-After: 0` would invite an instant retry.
pub fn ceil_secs(d: Duration) -> u64 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(client: u32, global: u32, inflight: usize) -> AdmissionSettings {
        AdmissionSettings {
            client_per_sec: client,
            client_burst: client,
            global_per_sec: global,
            global_burst: global,
            max_inflight: inflight,
            ..AdmissionSettings::default()
        }
    }

    fn waits(secs: u64) -> impl Fn() -> Waits + Copy {
        move || Waits {
            queue: Duration::from_secs(secs),
            inflight: Duration::from_secs(secs),
        }
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn a_client_over_its_burst_is_refused_while_another_is_admitted() {
        let admission = Admission::new(&settings(2, 1000, 100));
        let wait = waits(1);
        let _a = admission.admit(ip("192.0.2.1"), false, wait).ok().unwrap();
        let _b = admission.admit(ip("192.0.2.1"), false, wait).ok().unwrap();
        let refused = admission.admit(ip("192.0.2.1"), false, wait).err().unwrap();
        assert_eq!(refused.outcome, Outcome::rate_limited_client);
        assert!(refused.retry_after > Duration::ZERO);
        assert!(admission.admit(ip("192.0.2.2"), false, wait).is_ok());
    }

    #[test]
    fn the_global_limit_applies_across_clients() {
        let admission = Admission::new(&settings(100, 2, 100));
        let wait = waits(1);
        let _a = admission.admit(ip("192.0.2.1"), false, wait).ok().unwrap();
        let _b = admission.admit(ip("192.0.2.2"), false, wait).ok().unwrap();
        let refused = admission.admit(ip("192.0.2.3"), false, wait).err().unwrap();
        assert_eq!(refused.outcome, Outcome::rate_limited_global);
    }

    #[test]
    fn a_paced_submission_passes_the_global_limit_but_not_the_client_limit() {
        let admission = Admission::new(&settings(1, 1, 8));
        let wait = waits(1);
        let _a = admission.admit(ip("192.0.2.1"), false, wait).ok().unwrap();
        // The global token is gone: a direct submission is refused, a paced
        // one passes.
        assert!(admission.admit(ip("192.0.2.2"), false, wait).is_err());
        assert!(admission.admit_paced(ip("192.0.2.3"), false, wait).is_ok());
        let refused = admission
            .admit_paced(ip("192.0.2.3"), false, wait)
            .err()
            .unwrap();
        assert_eq!(refused.outcome, Outcome::rate_limited_client);
        let blocked = admission
            .admit_paced(ip("192.0.2.4"), true, wait)
            .err()
            .unwrap();
        assert_eq!(blocked.outcome, Outcome::broker_blocked);
    }

    #[test]
    fn the_inflight_cap_refuses_until_a_permit_is_returned() {
        let admission = Admission::new(&settings(100, 100, 1));
        let wait = waits(3);
        let held = admission.acquire(wait).ok().unwrap();
        let refused = admission.acquire(wait).err().unwrap();
        assert_eq!(refused.outcome, Outcome::overloaded_inflight);
        assert_eq!(refused.retry_after, Duration::from_secs(3));
        assert_eq!(admission.inflight(), 1);
        drop(held);
        assert!(admission.acquire(wait).is_ok());
    }

    #[test]
    fn admitting_a_request_takes_no_inflight_slot() {
        let admission = Admission::new(&settings(100, 100, 1));
        for i in 0..5 {
            let client = IpAddr::from(std::net::Ipv4Addr::from(0xc000_0200 + i));
            assert!(admission.admit(Some(client), false, waits(1)).is_ok());
        }
        assert_eq!(admission.inflight(), 0);
    }

    #[test]
    fn status_look_ups_have_their_own_per_client_limit() {
        let mut s = settings(100, 100, 10);
        s.status_per_sec = 1;
        s.status_burst = 2;
        let admission = Admission::new(&s);
        assert!(admission.admit_status(ip("192.0.2.1")).is_ok());
        assert!(admission.admit_status(ip("192.0.2.1")).is_ok());
        let refused = admission.admit_status(ip("192.0.2.1")).err().unwrap();
        assert_eq!(refused.rate_limit.map(|r| r.0), Some(2));
        assert!(admission.admit_status(ip("192.0.2.2")).is_ok());
        // Registrations from the same client are still admitted.
        assert!(admission.admit(ip("192.0.2.1"), false, waits(1)).is_ok());
    }

    #[test]
    fn a_blocked_broker_refuses_before_taking_a_permit() {
        let admission = Admission::new(&settings(100, 100, 10));
        let refused = admission
            .admit(ip("192.0.2.1"), true, waits(7))
            .err()
            .unwrap();
        assert_eq!(refused.outcome, Outcome::broker_blocked);
        assert_eq!(refused.retry_after, Duration::from_secs(7));
    }

    #[test]
    fn idle_client_state_is_purged() {
        let admission = Admission::new(&settings(1000, 1_000_000, 10));
        for i in 0..1000u32 {
            let addr = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            let _ = admission.admit(Some(addr), false, waits(1));
        }
        assert_eq!(admission.tracked_clients(), 1000);
        // One request per client at 1000/s replenishes within a millisecond.
        std::thread::sleep(Duration::from_millis(20));
        admission.gc();
        assert_eq!(admission.tracked_clients(), 0);
    }
}
