//! Operational routes: health, metrics, statistics and live reconfiguration.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpResponse, ResponseError, get, post, put};

use crate::problem::{ApiError, problem};
use crate::state::AppState;

#[get("/healthz")]
pub(super) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

#[get("/metrics")]
pub(super) async fn metrics(state: Data<AppState>) -> HttpResponse {
    match state.metrics().encode() {
        Ok(text) => HttpResponse::Ok()
            .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
            .body(text),
        Err(error) => {
            tracing::error!(error = %error, "cannot encode metrics");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot encode metrics",
                None,
            )
        }
    }
}

#[get("/stats")]
pub(super) async fn stats(state: Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.stats())
}

#[post("/stats/reset")]
pub(super) async fn reset_stats(state: Data<AppState>) -> HttpResponse {
    state.reset_stats();
    HttpResponse::Ok().json(state.stats())
}

#[get("/admin/config")]
pub(super) async fn get_config(state: Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.config())
}

/// Merges a partial JSON configuration into the live one.
#[put("/admin/config")]
pub(super) async fn put_config(state: Data<AppState>, body: Bytes) -> HttpResponse {
    let applied = serde_json::from_slice::<serde_json::Value>(&body)
        .map_err(ApiError::from)
        .and_then(|patch| state.reconfigure(patch).map_err(ApiError::from));
    match applied {
        Ok(config) => {
            tracing::info!(down = ?config.down, "configuration changed");
            HttpResponse::Ok().json(config)
        }
        Err(error) => {
            tracing::warn!(error = %error, "configuration change refused");
            error.error_response()
        }
    }
}
