//! Which waves take registrations. With a database, the `waves` table
//! decides for every wave it holds (open when its state is `open` and now is
//! within its period), read every `intake.waves_poll_ms` and cached, so that
//! `lonjak-ops wave close` reaches every gateway within one interval and
//! without a restart. A wave the table does not hold (or every wave, before
//! the table is first read or without a database) follows the settings'
//! range `intake.open_waves_min..=max`; while the table is unreachable the
//! last set read stays.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use lonjak_domain::{Language, Wave, WaveState};
use lonjak_store::{Store, StoreConfig};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

/// The waves open now, and the one a registration naming none joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenWaves {
    /// Waves the table holds, and those of them open now.
    known: Vec<u32>,
    open: Vec<u32>,
    /// For waves the table does not hold.
    range: std::ops::RangeInclusive<u32>,
    default: Wave,
}

impl OpenWaves {
    /// The settings' range with their default wave.
    pub fn fixed(range: std::ops::RangeInclusive<u32>, default: Wave) -> Self {
        Self {
            known: Vec::new(),
            open: Vec::new(),
            range,
            default,
        }
    }

    /// What the table says on top of the settings: the default becomes the
    /// earliest open wave of the table, if any.
    fn with_table(&self, known: Vec<u32>, open: Vec<u32>) -> Self {
        let default = open
            .first()
            .and_then(|n| Wave::new(*n).ok())
            .unwrap_or(self.default);
        Self {
            known,
            open,
            range: self.range.clone(),
            default,
        }
    }

    pub fn contains(&self, wave: Wave) -> bool {
        let n = wave.get();
        if self.known.contains(&n) {
            self.open.contains(&n)
        } else {
            self.range.contains(&n)
        }
    }

    pub fn default_wave(&self) -> Wave {
        self.default
    }

    /// For logs and the 422 message: the table's open waves, or the
    /// settings' range.
    pub fn describe(&self) -> String {
        self.describe_in(Language::En)
    }

    /// [`OpenWaves::describe`], with "none" said in `language`.
    pub fn describe_in(&self, language: Language) -> String {
        if self.known.is_empty() {
            return format!("{}–{}", self.range.start(), self.range.end());
        }
        if self.open.is_empty() {
            return match language {
                Language::En => "none",
                Language::Id => "tidak ada",
            }
            .to_owned();
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
        let settings = gate.current();
        tokio::spawn(async move {
            let mut store: Option<Store> = None;
            loop {
                if store.is_none() {
                    store = Store::connect(config.clone()).await.ok();
                }
                if let Some(connected) = &store {
                    match connected.waves().await {
                        Ok(waves) => {
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
                            let known = waves.iter().map(|w| w.number.get()).collect();
                            gate.set(settings.with_table(known, open));
                        }
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
    fn the_table_decides_the_waves_it_holds_and_the_range_the_others() {
        let wave = |n| Wave::new(n).expect("wave");
        let settings = OpenWaves::fixed(1..=10, Wave::FIRST);
        assert_eq!(settings.describe(), "1–10");
        // The table holds 1 (closed), 2 and 3 (open), and 20 (open).
        let table = settings.with_table(vec![1, 2, 3, 20], vec![2, 3, 20]);
        assert_eq!(table.default_wave(), wave(2));
        assert!(!table.contains(wave(1)), "closed in the table");
        assert!(table.contains(wave(3)) && table.contains(wave(20)));
        assert!(table.contains(wave(5)), "unknown to the table: the range");
        assert!(!table.contains(wave(11)));
        let none = settings.with_table(vec![1], Vec::new());
        assert_eq!(
            (none.default_wave(), none.describe()),
            (Wave::FIRST, "none".to_owned())
        );
    }
}
