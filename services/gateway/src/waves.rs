//! Which waves take registrations. With a database, the `waves` table
//! decides (a wave is open when its state is `open` and now is within its
//! period), read every `intake.waves_poll_ms` and cached, so that
//! `lonjak-ops wave close` reaches every gateway within one interval and
//! without a restart. Until the table is first read, while it is
//! unreachable, and while it holds no wave at all (a deployment that does not
//! manage waves), the last set read or else the settings' range applies.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use lonjak_domain::{Wave, WaveState};
use lonjak_store::{Store, StoreConfig};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

/// The waves open now, and the one a registration naming none joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenWaves {
    open: Vec<u32>,
    default: Wave,
}

impl OpenWaves {
    /// The settings' range with their default wave.
    pub fn fixed(range: std::ops::RangeInclusive<u32>, default: Wave) -> Self {
        Self {
            open: range.collect(),
            default,
        }
    }

    /// The open waves of a table; the default is the earliest of them.
    /// `None` when none is open (a registration naming no wave is then
    /// refused for the settings' default wave).
    fn from_table(open: Vec<u32>, fallback_default: Wave) -> Self {
        let default = open
            .first()
            .and_then(|n| Wave::new(*n).ok())
            .unwrap_or(fallback_default);
        Self { open, default }
    }

    pub fn contains(&self, wave: Wave) -> bool {
        self.open.contains(&wave.get())
    }

    pub fn default_wave(&self) -> Wave {
        self.default
    }

    /// For the 422 message: `1, 2` or `none`.
    pub fn describe(&self) -> String {
        if self.open.is_empty() {
            return "none".to_owned();
        }
        self.open
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The shared, cached set.
#[derive(Debug, Clone)]
pub struct WaveGate {
    current: Arc<RwLock<Arc<OpenWaves>>>,
}

impl WaveGate {
    pub fn new(initial: OpenWaves) -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(initial))),
        }
    }

    /// The set as last read (one lock read per request, no I/O).
    pub fn current(&self) -> Arc<OpenWaves> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set(&self, waves: OpenWaves) {
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if **guard != waves {
            tracing::info!(open = %waves.describe(), "open waves changed");
            *guard = Arc::new(waves);
        }
    }

    /// Polls the table every `period` until `shutdown`.
    pub fn follow(&self, config: StoreConfig, period: Duration, shutdown: CancellationToken) {
        let gate = self.clone();
        let fallback = gate.current().default_wave();
        tokio::spawn(async move {
            let mut store: Option<Store> = None;
            loop {
                if store.is_none() {
                    store = Store::connect(config.clone()).await.ok();
                }
                if let Some(connected) = &store {
                    match connected.waves().await {
                        Ok(waves) if !waves.is_empty() => {
                            let now = OffsetDateTime::now_utc();
                            let open = waves
                                .iter()
                                .filter(|w| {
                                    w.state == WaveState::Open
                                        && w.opens_at <= now
                                        && w.closes_at.is_none_or(|c| now < c)
                                })
                                .map(|w| w.number.get())
                                .collect();
                            gate.set(OpenWaves::from_table(open, fallback));
                        }
                        Ok(_) => {}
                        Err(error) => tracing::warn!(
                            error = &error as &dyn std::error::Error,
                            "reading the waves; keeping the last known open waves"
                        ),
                    }
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(period) => {}
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_default_is_its_earliest_open_wave_and_none_open_is_described() {
        let first = Wave::FIRST;
        let table = OpenWaves::from_table(vec![2, 3], first);
        assert_eq!(table.default_wave().get(), 2);
        assert!(table.contains(Wave::new(3).expect("wave")));
        assert!(!table.contains(first));
        let none = OpenWaves::from_table(Vec::new(), first);
        assert_eq!(
            (none.default_wave(), none.describe()),
            (first, "none".to_owned())
        );
        assert_eq!(OpenWaves::fixed(1..=2, first).describe(), "1, 2");
    }
}
