//! The provider's HTTP API.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use rand::Rng;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::state::{Admission, AppState};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/messages", web::post().to(send))
        .route("/v1/messages", web::get().to(messages))
        .route("/v1/messages", web::delete().to(clear))
        .route("/v1/attempts", web::get().to(attempts))
        .route("/stats", web::get().to(stats))
        .route("/admin/config", web::get().to(get_config))
        .route("/admin/config", web::put().to(put_config))
        .route(
            "/healthz",
            web::get().to(|| async { HttpResponse::Ok().body("ok") }),
        );
}

/// `POST /v1/messages`: one SMS.
#[derive(Debug, Deserialize)]
struct SendRequest {
    to: String,
    text: String,
}

#[derive(Debug, Deserialize)]
struct ByNumber {
    to: Option<String>,
}

fn problem(status: StatusCode, slug: &str, detail: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .json(serde_json::json!({
            "type": format!("https://lonjak.dev/sms-sim/problems/{slug}"),
            "title": slug,
            "status": status.as_u16(),
            "detail": detail,
        }))
}

/// E.164: a plus and 8 to 15 digits.
fn is_e164(to: &str) -> bool {
    to.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

async fn send(
    request: HttpRequest,
    body: web::Json<SendRequest>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let arrived = OffsetDateTime::now_utc();
    let config = state.config();
    let (status, response) = match state.admit() {
        Admission::Throttled(wait) => {
            // Whole seconds, rounded up: the client may not come back sooner.
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let response = problem(
                StatusCode::TOO_MANY_REQUESTS,
                "over-capacity",
                "The provider is at capacity; retry after the given delay.",
            );
            let mut response = response;
            if let Ok(value) = secs.max(1).to_string().parse() {
                response
                    .headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, value);
            }
            (429, response)
        }
        Admission::Admitted => {
            let (delay, fail) = {
                let mut rng = rand::rng();
                let jitter = config.latency_jitter_ms;
                let low = config.latency_ms.saturating_sub(jitter);
                let high = config.latency_ms.saturating_add(jitter);
                let delay = if high > low {
                    rng.random_range(low..=high)
                } else {
                    low
                };
                (delay, rng.random_bool(config.error_rate))
            };
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            answer(&request, &body, &state, &config, fail)
        }
    };
    state.attempt(&body.to, arrived, status);
    response
}

fn answer(
    request: &HttpRequest,
    body: &SendRequest,
    state: &AppState,
    config: &crate::SmsSimConfig,
    fail: bool,
) -> (u16, HttpResponse) {
    if fail {
        let response = problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Simulated provider failure.",
        );
        return (503, response);
    }
    let unreachable =
        !config.unreachable_prefix.is_empty() && body.to.starts_with(&config.unreachable_prefix);
    if !is_e164(&body.to) || unreachable || body.text.is_empty() {
        let response = problem(
            StatusCode::BAD_REQUEST,
            "unknown-number",
            "The number does not exist or the message is empty; do not retry.",
        );
        return (400, response);
    }
    let key = request
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok());
    let (message_id, new) = state.accept(&body.to, &body.text, key);
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let response = HttpResponse::build(status)
        .json(serde_json::json!({"message_id": message_id, "status": "accepted"}));
    (status.as_u16(), response)
}

async fn messages(query: web::Query<ByNumber>, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"messages": state.messages(query.to.as_deref())}))
}

async fn attempts(query: web::Query<ByNumber>, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"attempts": state.attempts(query.to.as_deref())}))
}

async fn clear(state: web::Data<AppState>) -> HttpResponse {
    state.clear();
    HttpResponse::NoContent().finish()
}

async fn stats(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.stats())
}

async fn get_config(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.config())
}

async fn put_config(
    patch: web::Json<serde_json::Value>,
    state: web::Data<AppState>,
) -> HttpResponse {
    match state.reconfigure(patch.into_inner()) {
        Ok(config) => HttpResponse::Ok().json(config),
        Err(error) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-config",
            &error.to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::is_e164;

    #[test]
    fn only_e164_numbers_are_numbers() {
        assert!(is_e164("+6281234567890"));
        for bad in [
            "6281234567890",
            "+62 812",
            "+1234567",
            "+1234567890123456",
            "",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }
}
