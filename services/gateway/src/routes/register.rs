//! `POST /v1/registrations`: parse, publish with confirm, answer 202.

// A refusal is a ~150-byte (outcome, problem) pair built once per request;
// boxing it would add an allocation on the overload path for no gain.
#![allow(clippy::result_large_err)]

use std::sync::atomic::Ordering;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use lonjak_bus::{Envelope, TraceContext};
use lonjak_domain::RegistrationId;
use serde::Serialize;
use time::OffsetDateTime;

use crate::admission::AdmissionState;
use crate::intake::{Refusal, is_json, publish, read_body, validate};
use crate::language::AnswerLanguage;
use crate::metrics::Outcome;
use crate::problem::Problem;
use crate::state::AppState;

/// The receipt of an accepted registration.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    /// Deterministic from NIK and wave: a re-submission gets the same id.
    pub registration_id: String,
    /// Always `queued`: the registration is durably stored in the queue.
    pub status: &'static str,
    pub status_url: String,
    /// Messages ahead in the intake queue (last sample) and the wait they
    /// imply at the recent drain rate: an estimate, not a promise.
    pub queue_position_estimate: u32,
    pub estimated_wait_seconds: u64,
    /// Pass it back as `?queue_mark=` when checking the status: the wait
    /// is then re-estimated from what is still ahead of this registration
    /// (rather than the whole queue), at the drain rate of that moment.
    pub queue_mark: u64,
}

/// Submit a registration.
#[utoipa::path(
    post,
    path = "/v1/registrations",
    request_body(content = crate::openapi::RegistrationBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Accepted: durably queued", body = Receipt),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid or unknown fields, each named with its rule; `title`, `detail` and every `message` in Indonesian with `Accept-Language: id`, else in English", body = Problem, content_type = "application/problem+json",
            headers(("Content-Language" = String, description = "`en` or `id`: the language of `title`, `detail` and every `message`"))),
        (status = 429, description = "Rate limited; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Overloaded or broker unavailable (nothing stored), or `unconfirmed` (may be stored; resubmitting is safe); see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(name = "register", skip_all, fields(registration.id, correlation.id))]
pub async fn register(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    admission: web::Data<AdmissionState>,
) -> HttpResponse {
    let correlation_id = correlation_id(&req);
    tracing::Span::current().record("correlation.id", correlation_id.as_str());
    let accepted = accept(&req, payload, &state, &admission, &correlation_id).await;
    let (outcome, response) = match accepted {
        Ok(response) => (Outcome::accepted, response),
        Err((outcome, problem)) => (
            outcome,
            problem.into_response_in(AnswerLanguage::of(req.headers())),
        ),
    };
    state.metrics.count(outcome);
    response
}

async fn accept(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    admission: &AdmissionState,
    correlation_id: &str,
) -> Result<HttpResponse, Refusal> {
    if !is_json(req) {
        return Err((
            Outcome::unsupported_media_type,
            Problem::unsupported_media_type(),
        ));
    }
    let body = read_body(req, payload, state.max_body_bytes, state.body_timeout).await?;
    let now = OffsetDateTime::now_utc();
    let today = lonjak_domain::submission_date(now);
    let registration = validate(&body, today, &state.waves.current())?;
    let wave = registration.wave();

    let id = RegistrationId::derive(&state.identity, registration.nik(), wave);
    tracing::Span::current().record("registration.id", tracing::field::display(id));
    crate::waitroom::gate(req, wave, &id).await?;
    // Sealed before anything leaves the process: the broker and its
    // dead-letter queues never hold the personal fields in clear.
    let event = lonjak_seal::seal_submitted(&state.seal, id, &registration, now)
        .map_err(|e| (Outcome::internal, Problem::internal_logged(&e)))?;
    let envelope = Envelope::event(correlation_id, event);
    let trace = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(TraceContext::parse)
        .map_or_else(TraceContext::new_root, |parent| parent.child());
    publish(state, admission, &envelope, &trace).await?;

    let accepted = state.accepted.fetch_add(1, Ordering::Relaxed) + 1;
    let sample = state.queue.sample();
    let ahead = sample.depth_now(accepted);
    let status_url = format!("/v1/registrations/{id}");
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, status_url.clone()))
        .insert_header(("X-Correlation-Id", correlation_id))
        .json(Receipt {
            registration_id: id.to_string(),
            status: "queued",
            status_url,
            queue_position_estimate: ahead,
            estimated_wait_seconds: state.queue.seconds_to_drain(ahead),
            queue_mark: sample.queue_mark(ahead),
        }))
}

/// The caller's `X-Request-Id` if it is a short token, else a fresh UUID.
fn correlation_id(req: &HttpRequest) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}
