//! Builds the gateway: state, background tasks, the public HTTP server and
//! the ops server (`/metrics`, `/healthz`, `/readyz`) on its own address.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use lonjak_domain::Wave;
use lonjak_store::StoreConfig;
use lonjak_telemetry::ops::{self, OpsState, RunningOps};
use prometheus_client::registry::Registry;
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;

use crate::admission::{Admission, AdmissionState, admission_middleware, status_limit_middleware};
use crate::broker::{BusSlot, QueueGauge};
use crate::config::Settings;
use crate::drain::{Drain, close_while_draining};
use crate::fallback::{method_not_allowed, not_found};
use crate::metrics::IntakeMetrics;
use crate::photos::{self, PhotoAdmission, Photos, photo_limit_middleware};
use crate::state::AppState;
use crate::status::StatusSource;
use crate::waitroom::{self, WaitroomMetrics};
use crate::waves::{OpenWaves, WaveGate};
use crate::{openapi, routes};

/// How often the intake queue's depth is sampled for drain estimates.
const QUEUE_SAMPLE_PERIOD: Duration = Duration::from_secs(1);

pub struct Application {
    addr: SocketAddr,
    server: Server,
    ops: RunningOps,
    ops_stop: CancellationToken,
    state: web::Data<AppState>,
}

impl Application {
    pub async fn build(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<Self> {
        Self::build_with_challenge(settings, shutdown, None).await
    }

    /// `build`, with `challenge` replacing the built-in proof of work at
    /// joining a waiting room (a deployment's own challenge provider).
    pub async fn build_with_challenge(
        settings: Settings,
        shutdown: CancellationToken,
        challenge: Option<Arc<dyn waitroom::ChallengeProvider>>,
    ) -> anyhow::Result<Self> {
        let identity = settings.identity.key.clone();
        tracing::info!(
            seal.key_id = %settings.seal.public_key.key_id(),
            "sealing applicants to this key"
        );
        let default_wave = Wave::new(settings.intake.default_wave)
            .map_err(|e| anyhow::anyhow!("intake.default_wave: {e}"))?;
        let trusted_proxies = settings.trusted_proxies()?;

        let mut registry = Registry::default();
        let metrics = IntakeMetrics::register(&mut registry);
        let waitroom_metrics = WaitroomMetrics::register(&mut registry);
        let registry = Arc::new(registry);

        let bus = BusSlot::default();
        bus.connect_in_background(
            settings.bus.to_config(),
            Duration::from_millis(settings.bus.reconnect_delay_ms),
            shutdown.clone(),
        );
        let accepted = Arc::new(AtomicU64::new(0));
        let queue = QueueGauge::assuming(f64::from(settings.admission.global_per_sec));
        queue.run(
            bus.clone(),
            accepted.clone(),
            metrics.clone(),
            QUEUE_SAMPLE_PERIOD,
            shutdown.clone(),
        );

        let waves = WaveGate::new(OpenWaves::fixed(
            settings.intake.open_waves_min..=settings.intake.open_waves_max,
            default_wave,
        ));
        if let Some(config) = store_config(&settings)? {
            waves.follow(
                config,
                Duration::from_millis(settings.intake.waves_poll_ms.max(100)),
                shutdown.clone(),
            );
        }
        let state = web::Data::new(AppState {
            bus: bus.clone(),
            identity,
            seal: settings.seal.public_key.clone(),
            waves,
            max_body_bytes: settings.http.max_body_bytes,
            body_timeout: Duration::from_millis(settings.http.body_timeout_ms),
            publish_timeout: settings.publish_timeout(),
            reconnect_delay: Duration::from_millis(settings.bus.reconnect_delay_ms),
            metrics,
            queue,
            accepted,
            status: StatusSource::new(store_config(&settings)?),
            email_verification: settings.email_verification.clone(),
            photos: photos(&settings)?,
        });
        let photo_admission = web::Data::new(PhotoAdmission::new(&settings.photo_upload));
        purge_photo_clients(
            photo_admission.clone(),
            Duration::from_secs(settings.admission.client_gc_interval_secs.max(1)),
            shutdown.clone(),
        );
        let waitroom = waitroom_state(
            &settings,
            waitroom_metrics,
            trusted_proxies.clone(),
            challenge,
        )?;
        waitroom::start(&waitroom, &settings, &state.queue, &shutdown);
        let admission = Arc::new(Admission::new(&settings.admission));
        admission.run_gc(
            Duration::from_secs(settings.admission.client_gc_interval_secs.max(1)),
            shutdown.clone(),
        );
        let admission = web::Data::new(AdmissionState {
            admission,
            trusted_proxies,
        });
        let waitroom = web::Data::from(waitroom);
        let drain = Drain::default();
        let ops_state = ops_state(registry, bus, drain.clone());

        // The ops server outlives the public one: `/readyz` must answer
        // "not ready" all through the drain. It stops in `run_until_stopped`.
        let ops_stop = CancellationToken::new();
        let ops = ops::serve(&settings.ops.addr, ops_state.clone(), ops_stop.clone())
            .with_context(|| format!("binding ops.addr {}", settings.ops.addr))?;

        let app_state = state.clone();
        let drain_data = web::Data::new(drain.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(admission.clone())
                .app_data(photo_admission.clone())
                .app_data(drain_data.clone())
                .app_data(waitroom.clone())
                .wrap(from_fn(close_while_draining))
                .service(
                    web::resource("/v1/registrations")
                        .wrap(from_fn(admission_middleware))
                        .route(web::post().to(routes::register::register))
                        .default_service(method_not_allowed("POST")),
                )
                .service(
                    web::resource("/v1/registrations/{id}")
                        .wrap(from_fn(status_limit_middleware))
                        .route(web::get().to(routes::status::status))
                        .default_service(method_not_allowed("GET")),
                )
                .service(
                    web::resource("/v1/registrations/{id}/email-verification")
                        .wrap(from_fn(status_limit_middleware))
                        .route(web::post().to(routes::email_verification::resend))
                        .default_service(method_not_allowed("POST")),
                )
                .service(
                    web::resource("/v1/registrations/{id}/photos")
                        .wrap(from_fn(photo_limit_middleware))
                        .route(web::post().to(photos::routes::upload_urls))
                        .default_service(method_not_allowed("POST")),
                )
                .service(
                    web::resource("/v1/registrations/{id}/photos/{kind}/complete")
                        .wrap(from_fn(status_limit_middleware))
                        .route(web::post().to(photos::routes::complete))
                        .default_service(method_not_allowed("POST")),
                )
                .service(
                    web::resource("/v1/email-verifications/{token}")
                        .wrap(from_fn(status_limit_middleware))
                        .route(web::get().to(routes::email_verification::verify))
                        .default_service(method_not_allowed("GET")),
                )
                .service(
                    web::resource("/openapi.json")
                        .route(web::get().to(openapi::openapi_json))
                        .default_service(method_not_allowed("GET")),
                )
                .configure(waitroom::configure)
                // Probes stay here too, for load balancers that check the
                // port they send traffic to; metrics do not.
                .configure(|cfg| ops::configure_probes(cfg, ops_state.clone()))
                .default_service(web::to(not_found))
        })
        .disable_signals()
        .shutdown_timeout(settings.http.shutdown_grace_secs)
        .backlog(4096);
        if settings.http.workers > 0 {
            server = server.workers(settings.http.workers);
        }
        let server = server
            .bind(&settings.http.addr)
            .with_context(|| format!("binding {}", settings.http.addr))?;
        let addr = *server.addrs().first().context("no listen address")?;
        let server = server.run();
        let handle = server.handle();
        let drain_delay = Duration::from_millis(settings.http.drain_delay_ms);
        tokio::spawn(async move {
            shutdown.cancelled().await;
            drain.start();
            tracing::info!(
                delay_ms = drain_delay.as_millis() as u64,
                "shutting down: not ready, still serving"
            );
            tokio::time::sleep(drain_delay).await;
            tracing::info!("draining HTTP connections");
            handle.stop(true).await;
        });
        Ok(Self {
            addr,
            server,
            ops,
            ops_stop,
            state,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where `/metrics`, `/healthz` and `/readyz` are served.
    pub fn ops_addr(&self) -> SocketAddr {
        self.ops.addr
    }

    /// True once the broker connection has been made (tests wait for it).
    pub fn broker_connected(&self) -> bool {
        self.state.bus.get().is_some_and(|b| b.is_connected())
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let served = self.server.await.context("HTTP server failed");
        if let Some(bus) = self.state.bus.get() {
            bus.close().await;
        }
        self.ops_stop.cancel();
        match self.ops.task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "ops server failed"),
            Err(error) => tracing::warn!(%error, "ops server task failed"),
        }
        served?;
        tracing::info!("gateway stopped");
        Ok(())
    }
}

/// Ready when connected to an unblocked broker and not shutting down.
fn ops_state(registry: Arc<Registry>, bus: BusSlot, drain: Drain) -> OpsState {
    OpsState::new(registry, move || {
        let ready = bus.get().map(|b| (b.is_connected(), b.is_blocked()));
        let draining = drain.is_draining();
        async move {
            if draining {
                return Err("shutting down".to_owned());
            }
            match ready {
                Some((true, false)) => Ok(()),
                Some((true, true)) => {
                    Err("broker connection blocked by a resource alarm".to_owned())
                }
                Some((false, _)) => Err("broker connection lost; reconnecting".to_owned()),
                None => Err("broker not connected yet".to_owned()),
            }
        }
    })
}

/// The waiting room's state; it has a store whenever the gateway has a
/// database (the drain sampler needs one even when no wave has a queue).
fn waitroom_state(
    settings: &Settings,
    metrics: WaitroomMetrics,
    trusted_proxies: Vec<ipnet::IpNet>,
    challenge: Option<Arc<dyn waitroom::ChallengeProvider>>,
) -> anyhow::Result<Arc<waitroom::WaitRoom>> {
    let key = if settings.waitroom.enabled() {
        settings.waitroom.ticket_key_bytes()?
    } else {
        // No tickets are issued without waves: a random key signs nothing.
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key
    };
    let header = settings.waitroom.client_key_header.trim();
    let client_key_header = if header.is_empty() {
        None
    } else {
        Some(
            actix_web::http::header::HeaderName::try_from(header.to_ascii_lowercase())
                .context("waitroom.client_key_header is not a header name")?,
        )
    };
    let key = waitroom::TicketKey::new(key);
    let challenge = challenge.unwrap_or_else(|| {
        Arc::new(waitroom::ProofOfWork::new(
            key.clone(),
            settings.waitroom.challenge_bits,
            Duration::from_secs(settings.waitroom.challenge_ttl_secs),
        ))
    });
    Ok(Arc::new(waitroom::WaitRoom {
        settings: settings.waitroom.clone(),
        key,
        store: store_config(settings)?.map(waitroom::LazyStore::new),
        metrics,
        max_admit_per_sec: f64::from(settings.admission.global_per_sec),
        client_key_header,
        trusted_proxies,
        challenge,
    }))
}

/// The gateway only reads statuses, which hold no personal data: its store
/// has no data key.
fn store_config(settings: &Settings) -> anyhow::Result<Option<StoreConfig>> {
    if settings.database.url.expose_secret().is_empty() {
        return Ok(None);
    }
    let mut config = settings.database.to_config().context("database settings")?;
    config.data_key = None;
    Ok(Some(config))
}

/// Photo upload, when an object store is configured.
fn photos(settings: &Settings) -> anyhow::Result<Option<Photos>> {
    if !settings.object_store.is_enabled() {
        return Ok(None);
    }
    Ok(Some(Photos {
        objects: lonjak_photos::ObjectStore::new(&settings.object_store)?,
        settings: settings.photo_upload.clone(),
        limits: settings.photos,
    }))
}

/// Forgets idle clients of the upload-URL limiter now and then.
fn purge_photo_clients(
    limits: web::Data<PhotoAdmission>,
    period: Duration,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(period) => limits.purge(),
            }
        }
    });
}
