//! The waiting room: applicants join a wave's queue and get a signed ticket,
//! watch their position and wait, and submit their registration once their
//! turn has come, while the queue lets people in at the rate the pipeline
//! drains. All shared state is in PostgreSQL (`lonjak_store::waitroom`), so
//! any replica answers any request. Also here: the drain-rate sampler that
//! every wait estimate (the 202 receipt's too) is based on, and the page.
//!
//! Design and costs: `docs/architecture.md` ("The waiting room").

// A refusal is a ~150-byte (outcome, problem) pair built once per request.
#![allow(clippy::result_large_err)]

pub mod challenge;
pub mod challenge_route;
mod drain;
mod estimate;
mod gate;
mod metrics;
mod pacing;
pub mod page;
pub mod routes;
mod settings;
mod ticker;
mod ticket;

use std::sync::Arc;

use actix_web::web;
use lonjak_domain::Wave;
use lonjak_store::{Store, StoreConfig, StoreError};
use tokio::sync::OnceCell;

pub use challenge::{ChallengeProvider, ProofOfWork};
pub use drain::run_drain_sampler;
pub use estimate::{QueueBasis, WaitEstimate, estimate_wait, queue_basis};
pub use gate::{TICKET_HEADER, gate};
pub use metrics::WaitroomMetrics;
pub use pacing::{Pacing, PacingInput, PacingLimits, pace};
pub use settings::WaitroomSettings;
pub use ticker::run_ticker;
pub use ticket::{TicketError, TicketKey};

/// A store connected on first use, so the gateway starts (and the direct
/// flow keeps working) while the database is away.
#[derive(Clone)]
pub struct LazyStore {
    config: StoreConfig,
    store: Arc<OnceCell<Store>>,
}

impl LazyStore {
    pub fn new(config: StoreConfig) -> Self {
        Self {
            config,
            store: Arc::new(OnceCell::new()),
        }
    }

    pub async fn get(&self) -> Result<&Store, StoreError> {
        self.store
            .get_or_try_init(|| Store::connect(self.config.clone()))
            .await
    }
}

/// What the waiting room's handlers share.
pub struct WaitRoom {
    pub settings: WaitroomSettings,
    pub key: TicketKey,
    /// `None` without a database: every wave is then direct.
    pub store: Option<LazyStore>,
    pub metrics: WaitroomMetrics,
    /// `admission.global_per_sec`: the ceiling of the admission rate.
    pub max_admit_per_sec: f64,
    /// Header a trusted proxy sets with the client key, lower-cased.
    pub client_key_header: Option<actix_web::http::header::HeaderName>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// What a client must answer to join (the built-in proof of work, or a
    /// provider that replaces it).
    pub challenge: Arc<dyn ChallengeProvider>,
}

impl WaitRoom {
    /// True when `wave` needs an admitted ticket to register.
    pub fn guards(&self, wave: Wave) -> bool {
        self.store.is_some() && self.settings.waves.contains(&wave.get())
    }
}

/// Mounts the waiting room's public routes and page.
pub fn configure(cfg: &mut web::ServiceConfig) {
    challenge_route::configure(cfg);
    routes::configure(cfg);
    page::configure(cfg);
}

/// Starts the background work: the drain sampler (whenever there is a
/// database) and the queue's ticker (when a wave has a waiting room).
pub fn start(
    room: &Arc<WaitRoom>,
    settings: &crate::config::Settings,
    queue: &crate::broker::QueueGauge,
    shutdown: &tokio_util::sync::CancellationToken,
) {
    let Some(store) = room.store.clone() else {
        return;
    };
    if settings.waitroom.shared_drain {
        run_drain_sampler(
            store,
            queue.clone(),
            room.metrics.clone(),
            std::time::Duration::from_millis(settings.waitroom.drain_period_ms),
            std::time::Duration::from_secs_f64(settings.waitroom.drain_time_constant_secs),
            shutdown.clone(),
        );
    }
    run_ticker(room.clone(), queue.clone(), shutdown.clone());
}
