//! `POST /v1/registrations`: parse, publish with confirm, answer 202.

// A refusal is a ~150-byte (outcome, problem) pair built once per request;
// boxing it would add an allocation on the overload path for no gain.
#![allow(clippy::result_large_err)]

use std::sync::atomic::Ordering;
use std::time::Instant;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures::StreamExt;
use lonjak_bus::{Envelope, PublishError, TraceContext};
use lonjak_domain::events::RegistrationSubmitted;
use lonjak_domain::{Registration, RegistrationId, RegistrationRequest};
use serde::Serialize;
use time::OffsetDateTime;

use crate::metrics::Outcome;
use crate::problem::{FieldProblem, Problem};
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
}

/// Submit a registration.
#[utoipa::path(
    post,
    path = "/v1/registrations",
    request_body(content = crate::openapi::RegistrationBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Accepted: durably queued", body = Receipt),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named with its rule", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Overloaded or broker unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(name = "register", skip_all, fields(registration.id, correlation.id))]
pub async fn register(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let correlation_id = correlation_id(&req);
    tracing::Span::current().record("correlation.id", correlation_id.as_str());
    let (outcome, response) = match accept(&req, payload, &state, &correlation_id).await {
        Ok(response) => (Outcome::accepted, response),
        Err((outcome, problem)) => (outcome, problem.into_response()),
    };
    state.metrics.count(outcome);
    response
}

type Refusal = (Outcome, Problem);

async fn accept(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    correlation_id: &str,
) -> Result<HttpResponse, Refusal> {
    if !is_json(req) {
        return Err((
            Outcome::unsupported_media_type,
            Problem::unsupported_media_type(),
        ));
    }
    let body = read_body(req, payload, state.max_body_bytes).await?;
    let request = decode(&body)?;
    let now = OffsetDateTime::now_utc();
    let today = lonjak_domain::submission_date(now);
    let registration =
        Registration::parse(&request, today, state.default_wave).map_err(|errors| {
            (
                Outcome::invalid,
                Problem::invalid(errors.errors().iter().map(FieldProblem::from).collect()),
            )
        })?;
    let wave = registration.wave();
    if !state.open_waves.contains(&wave.get()) {
        let problem = FieldProblem {
            field: "wave".to_owned(),
            rule: "open".to_owned(),
            message: format!(
                "wave {wave} is not open for registration (open: {}–{})",
                state.open_waves.start(),
                state.open_waves.end()
            ),
        };
        return Err((Outcome::invalid, Problem::invalid(vec![problem])));
    }

    let id = RegistrationId::derive(&state.identity, registration.nik(), wave);
    tracing::Span::current().record("registration.id", tracing::field::display(id));
    let event = RegistrationSubmitted {
        registration_id: id,
        wave,
        submitted_at: now,
        applicant: registration.to_request(),
    };
    let envelope = Envelope::event(correlation_id, event);
    let trace = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(TraceContext::parse)
        .map_or_else(TraceContext::new_root, |parent| parent.child());
    publish(state, &envelope, &trace).await?;

    state.accepted.fetch_add(1, Ordering::Relaxed);
    let sample = state.queue.sample();
    let status_url = format!("/v1/registrations/{id}");
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, status_url.clone()))
        .insert_header(("X-Correlation-Id", correlation_id))
        .json(Receipt {
            registration_id: id.to_string(),
            status: "queued",
            status_url,
            queue_position_estimate: sample.depth,
            estimated_wait_seconds: state.queue.seconds_to_drain(sample.depth),
        }))
}

async fn publish(
    state: &AppState,
    envelope: &Envelope<RegistrationSubmitted>,
    trace: &TraceContext,
) -> Result<(), Refusal> {
    let Some(bus) = state.bus.get() else {
        return Err((
            Outcome::broker_unavailable,
            // The next connection attempt is this far away.
            Problem::unavailable(
                "broker-unavailable",
                "The registration queue is not reachable yet.",
                state.reconnect_delay.as_secs(),
            ),
        ));
    };
    let started = Instant::now();
    let result = bus.publisher().publish_event(envelope, Some(trace)).await;
    state
        .metrics
        .observe_publish(started.elapsed().as_secs_f64());
    result.map_err(|error| refusal_for(state, error))
}

/// Maps a failed publish to an honest answer. None of them means the
/// registration was stored, so none is a 202.
fn refusal_for(state: &AppState, error: PublishError) -> Refusal {
    let timeout_secs = state.publish_timeout.as_secs().max(1);
    match error {
        // The queue is at its limit, or the broker's alarm is up until memory
        // frees: both ease as the backlog drains.
        PublishError::Nacked => (
            Outcome::queue_full,
            Problem::unavailable(
                "queue-full",
                "The registration queue is full.",
                state.queue.seconds_until_room(),
            ),
        ),
        PublishError::Blocked => (
            Outcome::broker_blocked,
            Problem::unavailable(
                "broker-blocked",
                "The registration queue is paused by a resource alarm.",
                state.queue.seconds_until_room(),
            ),
        ),
        PublishError::Timeout => (
            Outcome::broker_timeout,
            Problem::unavailable(
                "broker-timeout",
                "The registration queue did not confirm in time; nothing was stored.",
                timeout_secs,
            ),
        ),
        PublishError::Encode(error) => {
            tracing::error!(%error, "cannot encode a registration event");
            (Outcome::internal, Problem::internal(&envelope_ref()))
        }
        other => {
            if matches!(other, PublishError::Unroutable) {
                tracing::error!("intake queue missing: registration.submitted is unroutable");
            } else {
                tracing::warn!(error = %other, "publish failed");
            }
            (
                Outcome::broker_unavailable,
                Problem::unavailable(
                    "broker-unavailable",
                    "The registration queue is not reachable.",
                    timeout_secs,
                ),
            )
        }
    }
}

fn envelope_ref() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// Reads at most `limit` bytes; a declared or actual larger body is a 413
/// without reading the rest.
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, Refusal> {
    let too_large = || (Outcome::too_large, Problem::too_large(limit));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            (
                Outcome::malformed,
                Problem::malformed("The request body could not be read."),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// JSON syntax errors are 400; a field of the wrong JSON type is a 422
/// naming the field.
fn decode(body: &[u8]) -> Result<RegistrationRequest, Refusal> {
    // serde would read a struct from a JSON array too: insist on an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err((
            Outcome::malformed,
            Problem::malformed("The body must be a JSON object."),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let result: Result<RegistrationRequest, _> = serde_path_to_error::deserialize(&mut de);
    let request = match result {
        Ok(request) => request,
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            return Err(if inner.is_data() {
                let problem = FieldProblem {
                    field: path,
                    rule: "type".to_owned(),
                    message: type_message(&inner),
                };
                (Outcome::invalid, Problem::invalid(vec![problem]))
            } else {
                (
                    Outcome::malformed,
                    Problem::malformed(format!(
                        "Invalid JSON at line {}, column {}.",
                        inner.line(),
                        inner.column()
                    )),
                )
            });
        }
    };
    de.end().map_err(|_| {
        (
            Outcome::malformed,
            Problem::malformed("Unexpected data after the JSON object."),
        )
    })?;
    Ok(request)
}

/// serde's message without the echoed value (it may be personal data).
fn type_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.split_once(", expected ") {
        Some((_, expected)) => {
            let expected = expected.split(" at line").next().unwrap_or(expected);
            format!("wrong JSON type: expected {expected}")
        }
        None => "wrong JSON type".to_owned(),
    }
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
