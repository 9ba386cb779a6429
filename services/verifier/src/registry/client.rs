//! One registry's HTTP client with its protections: outbound rate limiter,
//! circuit breaker, per-attempt timeout, jittered exponential backoff and a
//! total deadline.

use std::num::NonZeroU32;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::Registry;
use super::breaker::{CircuitBreaker, CircuitState};
use super::error::{CallError, RegistryError};
use super::settings::RegistrySettings;
use crate::metrics::{CallLabels, Metrics, RegistryLabels};

/// A protected client for one registry. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct RegistryClient {
    registry: Registry,
    base_url: String,
    http: reqwest::Client,
    limiter: DefaultDirectRateLimiter,
    /// One waiter at the limiter at a time, in arrival order: hundreds of
    /// calls waiting on it at once would all wake at each free slot and all
    /// but one go back to sleep, burning a core on a backlog.
    turnstile: tokio::sync::Mutex<()>,
    breaker: CircuitBreaker,
    settings: RegistrySettings,
    metrics: Metrics,
}

impl RegistryClient {
    /// Builds the client; fails only if the HTTP client cannot be built.
    pub fn new(
        registry: Registry,
        settings: RegistrySettings,
        metrics: Metrics,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.attempt_timeout())
            .build()?;
        let breaker = CircuitBreaker::new(settings.breaker_threshold, settings.breaker_cool_down());
        Ok(Self {
            registry,
            base_url: settings.url.trim_end_matches('/').to_owned(),
            http,
            limiter: RateLimiter::direct(quota(settings.rate_per_sec)),
            turnstile: tokio::sync::Mutex::new(()),
            breaker,
            settings,
            metrics,
        })
    }

    /// Which registry this client calls.
    pub fn registry(&self) -> Registry {
        self.registry
    }

    /// Current circuit state.
    pub fn circuit_state(&self) -> CircuitState {
        self.breaker.state()
    }

    /// `GET {base}{path}`, decoded as `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        deadline: Instant,
    ) -> Result<T, RegistryError> {
        let url = format!("{}{path}", self.base_url);
        self.call(|| self.http.get(&url), deadline).await
    }

    /// `POST {base}{path}` with a JSON body, decoded as `T`.
    pub async fn post<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        deadline: Instant,
    ) -> Result<T, RegistryError> {
        let url = format!("{}{path}", self.base_url);
        self.call(|| self.http.post(&url).json(body), deadline)
            .await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
        deadline: Instant,
    ) -> Result<T, RegistryError> {
        let mut backoff = ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.settings.backoff_min())
            .with_max_delay(self.settings.backoff_max())
            .with_max_times(self.settings.max_attempts.saturating_sub(1) as usize)
            .build();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let err = match self.attempt(&request, deadline).await {
                Ok(answer) => return Ok(answer),
                Err(err) => err,
            };
            if !err.is_transient() {
                return Err(RegistryError::new(self.registry, attempts, err));
            }
            let Some(delay) = backoff.next() else {
                return Err(RegistryError::new(self.registry, attempts, err));
            };
            let delay = delay.max(err.min_wait().unwrap_or_default());
            if Instant::now() + delay >= deadline {
                return Err(RegistryError::new(self.registry, attempts, err));
            }
            tracing::debug!(
                registry = self.registry.as_str(),
                attempt = attempts,
                error.kind = err.kind(),
                delay_ms = delay.as_millis() as u64,
                "registry call failed, backing off"
            );
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        request: &impl Fn() -> reqwest::RequestBuilder,
        deadline: Instant,
    ) -> Result<T, CallError> {
        let permit = self
            .breaker
            .try_acquire()
            .map_err(|remaining| CallError::CircuitOpen { remaining });
        let result = match permit {
            Err(err) => Err(err),
            Ok(permit) => {
                // Wait for the limiter rather than fail fast: the backlog belongs
                // in the queue, and the deadline bounds how long one delivery waits.
                let admitted = tokio::time::timeout_at(deadline, async {
                    // No jitter: waiters are already in single file, and a
                    // jitter per admission would cap the rate at 1 / jitter.
                    let _turn = self.turnstile.lock().await;
                    self.limiter.until_ready().await;
                })
                .await;
                match admitted {
                    Err(_) => Err(CallError::RateLimited),
                    Ok(()) => {
                        let started = Instant::now();
                        let attempt_deadline =
                            deadline.min(started + self.settings.attempt_timeout());
                        let result = tokio::time::timeout_at(attempt_deadline, self.send(request))
                            .await
                            .unwrap_or(Err(CallError::Timeout));
                        let outcome = match &result {
                            Ok(_) => "ok",
                            Err(err) => err.kind(),
                        };
                        self.metrics
                            .registry_latency
                            .get_or_create(&CallLabels {
                                registry: self.registry.as_str(),
                                outcome,
                            })
                            .observe(started.elapsed().as_secs_f64());
                        match &result {
                            Err(err) if err.counts_against_health() => permit.failure(),
                            _ => permit.success(),
                        }
                        result
                    }
                }
            }
        };
        if let Err(err) = &result {
            self.metrics
                .registry_errors
                .get_or_create(&CallLabels {
                    registry: self.registry.as_str(),
                    outcome: err.kind(),
                })
                .inc();
        }
        self.metrics
            .circuit_state
            .get_or_create(&RegistryLabels {
                registry: self.registry.as_str(),
            })
            .set(self.breaker.state().as_gauge());
        result
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: &impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, CallError> {
        let response = request().send().await.map_err(CallError::from_reqwest)?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(CallError::Status {
                status: status.as_u16(),
                retry_after,
            });
        }
        response.json::<T>().await.map_err(CallError::from_reqwest)
    }
}

/// Calls spaced at least `1/rate_per_sec` apart plus a 5 % guard band, with
/// a burst of 3 % of a second's calls (at least one). The guard absorbs
/// network jitter: two calls sent a full period apart can arrive closer than
/// that, and the ministry counts arrivals, so no one-second window at its
/// end may see more than `rate_per_sec` calls; at most
/// `rate / 1.05 + 0.03 × rate` ≈ 98 % of it leave in any second. The burst
/// is what reaches the rate at all: a sleeping waiter wakes on a 1 ms timer
/// tick, so at one call per wake-up a limit of 1,000/s delivered ~840/s.
fn quota(rate_per_sec: NonZeroU32) -> Quota {
    let period = Duration::from_secs(1).mul_f64(GUARD_BAND) / rate_per_sec.get();
    let burst = NonZeroU32::new(rate_per_sec.get() * 3 / 100).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(rate_per_sec))
        .allow_burst(burst)
}

/// Period stretch of the outbound limiter (see [`quota`]).
const GUARD_BAND: f64 = 1.05;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_never_admits_more_than_the_rate_in_any_second() {
        let limiter = RateLimiter::direct(quota(NonZeroU32::new(20).expect("non-zero")));
        let admitted = (0..100).filter(|_| limiter.check().is_ok()).count();
        assert_eq!(
            admitted, 1,
            "burst of one at low rates: the rest must wait for the period"
        );
        let period = quota(NonZeroU32::new(20).expect("non-zero")).replenish_interval();
        assert!(period * 20 > Duration::from_secs(1));
    }

    #[test]
    fn at_high_rates_a_burst_plus_one_second_of_periods_stays_under_the_rate() {
        for rate in [100_u32, 1_000, 50_000] {
            let quota = quota(NonZeroU32::new(rate).expect("non-zero"));
            let per_second =
                Duration::from_secs(1).as_secs_f64() / quota.replenish_interval().as_secs_f64();
            let worst_second = per_second + f64::from(quota.burst_size().get());
            assert!(
                worst_second < f64::from(rate),
                "rate {rate}: {worst_second} calls could leave in one second"
            );
        }
    }
}
