//! The applicants' page: plain HTML, CSS and a little JavaScript, compiled
//! into the binary (no build chain, no third-party origin). A strict
//! Content-Security-Policy keeps every request on this origin.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::WaitRoom;
use crate::fallback::method_not_allowed;
use crate::state::AppState;

const INDEX: &str = include_str!("static/index.html");
const APP_JS: &str = include_str!("static/app.js");
const POW_JS: &str = include_str!("static/pow.js");
const STYLE: &str = include_str!("static/style.css");
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   connect-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    let asset = |path: &'static str, body: &'static str, kind: &'static str| {
        web::resource(path)
            .route(web::get().to(move || async move { page(body, kind) }))
            .default_service(method_not_allowed("GET"))
    };
    cfg.service(asset("/", INDEX, "text/html; charset=utf-8"))
        .service(asset(
            "/assets/app.js",
            APP_JS,
            "text/javascript; charset=utf-8",
        ))
        .service(asset(
            "/assets/pow.js",
            POW_JS,
            "text/javascript; charset=utf-8",
        ))
        .service(asset("/assets/style.css", STYLE, "text/css; charset=utf-8"))
        .service(
            web::resource("/v1/waitroom")
                .route(web::get().to(waitroom_config))
                .default_service(method_not_allowed("GET")),
        );
}

fn page(body: &'static str, kind: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, kind))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body)
}

/// Which waves run a waiting room, for the page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WaitroomConfig {
    /// The wave a registration joins when it names none.
    pub default_wave: u32,
    /// Waves whose registrations need an admitted ticket.
    pub waves: Vec<u32>,
}

/// The waiting room's public configuration.
#[utoipa::path(
    get,
    path = "/v1/waitroom",
    responses((status = 200, description = "Waves with a waiting room", body = WaitroomConfig))
)]
pub async fn waitroom_config(room: web::Data<WaitRoom>, app: web::Data<AppState>) -> HttpResponse {
    let waves = if room.store.is_some() {
        room.settings.waves.clone()
    } else {
        Vec::new()
    };
    HttpResponse::Ok().json(WaitroomConfig {
        default_wave: app.waves.current().default_wave().get(),
        waves,
    })
}
