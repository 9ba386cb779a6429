//! Builds the admin API from settings and runs it until shutdown: one
//! listener (`admin.addr`) with the API, `/healthz`, `/readyz` and
//! `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use lonjak_photos::ObjectStore;
use lonjak_store::Store;
use lonjak_telemetry::ops::{self, OpsState};
use prometheus_client::registry::Registry;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::auth::Tokens;
use crate::config::Settings;
use crate::metrics::AdminMetrics;
use crate::problem::{AdminError, method_not_allowed, not_found};
use crate::routes::{registrations, retention, selection, waves};
use crate::state::AdminState;

/// A bound admin API, ready to run.
pub struct Application {
    addr: SocketAddr,
    server: Server,
    shutdown: CancellationToken,
}

/// Counts every answer by route pattern (bounded) and status.
async fn count(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AdminState>>().cloned();
    let response = next.call(req).await?;
    if let Some(state) = state {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        state.metrics.request(route, response.status().as_u16());
    }
    Ok(response)
}

fn routes(cfg: &mut web::ServiceConfig) {
    let resource = |path: &str| web::resource(path.to_owned());
    cfg.service(
        resource("/v1/waves")
            .route(web::get().to(waves::list))
            .route(web::post().to(waves::create))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        resource("/v1/waves/{wave}")
            .route(web::get().to(waves::get))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        resource("/v1/waves/{wave}/open")
            .route(web::post().to(waves::open))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        resource("/v1/waves/{wave}/close")
            .route(web::post().to(waves::close))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        resource("/v1/waves/{wave}/funnel")
            .route(web::get().to(waves::funnel))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        resource("/v1/waves/{wave}/selection")
            .route(web::post().to(selection::select))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        resource("/v1/waves/{wave}/announcement")
            .route(web::post().to(selection::announcement))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        resource("/v1/waves/{wave}/retention")
            .route(web::put().to(retention::set_period))
            .default_service(method_not_allowed("PUT")),
    )
    .service(
        resource("/v1/retention")
            .route(web::get().to(retention::retention_plan))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        resource("/v1/retention/erasure")
            .route(web::post().to(retention::erasure))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        resource("/v1/registrations/{id}")
            .route(web::get().to(registrations::lookup))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        resource("/v1/registrations/{id}/explanation")
            .route(web::get().to(registrations::explanation))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        resource("/v1/registrations/{id}/rejoin")
            .route(web::post().to(registrations::rejoin))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        resource("/openapi.json")
            .route(web::get().to(crate::openapi::openapi_json))
            .default_service(method_not_allowed("GET")),
    );
}

impl Application {
    /// Checks the settings, connects to the database (two pools: look-ups
    /// and the long selection statements) and binds `admin.addr` (port 0
    /// picks a free one). The broker is reached per announcement.
    pub async fn build(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<Self> {
        settings.validate()?;
        let tokens = Tokens::from_settings(&settings.admin)?;
        let mut registry = Registry::default();
        let metrics = AdminMetrics::register(&mut registry);
        // Only the support desk's look-up opens personal data (to mask it):
        // the data key, when configured, is the look-up store's alone.
        let mut config = settings.database.to_config().context("database settings")?;
        let store = Store::connect(config.clone())
            .await
            .context("connecting to the database")?;
        config.data_key = None;
        config.query_timeout = settings.admin.batch_query_timeout();
        config.max_connections = 2;
        let batch_store = Store::connect(config)
            .await
            .context("connecting to the database")?;
        let state = web::Data::new(AdminState {
            tokens,
            store: store.clone(),
            batch_store,
            bus: settings.bus.to_config(),
            metrics,
            work_mem: settings.admin.work_mem.clone(),
            announce_page: settings.admin.announce_page.max(1),
            announcing: Mutex::new(()),
            retention: settings.retention.clone(),
            objects: if settings.object_store.is_enabled() {
                Some(ObjectStore::new(&settings.object_store).context("object_store settings")?)
            } else {
                None
            },
            // The stored hashes' key (`identity.lookup_key`, else `identity.key`).
            identity: settings.identity.as_ref().map(|i| i.lookup_key().clone()),
            support: settings.support.clone(),
        });
        let ops_state = OpsState::new(Arc::new(registry), move || {
            let store = store.clone();
            async move { store.ping().await.map_err(|_| "database".to_owned()) }
        });
        let query_errors = web::QueryConfig::default().error_handler(|err, _| {
            AdminError::invalid_field("query", "schema", err.to_string()).into()
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(query_errors.clone())
                .wrap(from_fn(crate::access::record_refusals))
                .wrap(from_fn(count))
                .configure(routes)
                .configure(crate::routes::desk::routes)
                .configure(crate::routes::console::routes)
                .configure(|cfg| ops::configure(cfg, ops_state.clone()))
                .default_service(web::to(not_found))
        })
        .disable_signals()
        .shutdown_timeout(settings.admin.shutdown_grace_secs);
        if settings.admin.workers > 0 {
            server = server.workers(settings.admin.workers);
        }
        let server = server
            .bind(&settings.admin.addr)
            .with_context(|| format!("binding admin.addr {}", settings.admin.addr))?;
        let addr = server
            .addrs()
            .first()
            .copied()
            .context("the admin listener bound no address")?;
        Ok(Self {
            addr,
            server: server.run(),
            shutdown,
        })
    }

    /// The bound address (tests bind port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` fires, then lets requests in hand finish
    /// (`admin.shutdown_grace_secs`).
    pub async fn run(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            shutdown.cancelled().await;
            tracing::info!("admin API draining");
            handle.stop(true).await;
        });
        self.server.await.context("admin server")
    }
}
