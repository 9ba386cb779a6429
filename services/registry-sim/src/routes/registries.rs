//! The simulated registry APIs. Every call goes through the same model:
//! down → in-flight cap → token bucket → latency → injected errors → answer.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpResponse, ResponseError, get, post};
use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::answers::{Answers, answers};
use crate::config::{Registry, RegistryConfig};
use crate::gate::Outcome;
use crate::nik::Nik;
use crate::problem::{ApiError, problem};
use crate::state::AppState;
use crate::wire::{DapodikResponse, DtksResponse, DukcapilRequest, DukcapilResponse, parse_date};

#[post("/dukcapil/v1/verify")]
pub(super) async fn dukcapil(state: Data<AppState>, body: Bytes) -> HttpResponse {
    let registry = Registry::Dukcapil;
    state.arrive(registry);
    let parsed = serde_json::from_slice::<DukcapilRequest>(&body)
        .map_err(ApiError::from)
        .and_then(|request| {
            let nik = Nik::parse(&request.nik)?;
            let birth_date = parse_date(&request.birth_date).ok_or(ApiError::BirthDate)?;
            Ok((nik, birth_date))
        });
    match parsed {
        Ok((nik, birth_date)) => {
            simulate(
                &state,
                registry,
                |answers| DukcapilResponse::new(answers, birth_date),
                &nik,
            )
            .await
        }
        Err(error) => bad_request(&state, registry, &error),
    }
}

#[get("/dapodik/v1/enrolment/{nik}")]
pub(super) async fn dapodik(state: Data<AppState>, nik: Path<String>) -> HttpResponse {
    let registry = Registry::Dapodik;
    state.arrive(registry);
    match Nik::parse(&nik) {
        Ok(nik) => simulate(&state, registry, |a| DapodikResponse::from(a), &nik).await,
        Err(error) => bad_request(&state, registry, &error.into()),
    }
}

#[get("/dtks/v1/recipient/{nik}")]
pub(super) async fn dtks(state: Data<AppState>, nik: Path<String>) -> HttpResponse {
    let registry = Registry::Dtks;
    state.arrive(registry);
    match Nik::parse(&nik) {
        Ok(nik) => simulate(&state, registry, |a| DtksResponse::from(a), &nik).await,
        Err(error) => bad_request(&state, registry, &error.into()),
    }
}

fn bad_request(state: &AppState, registry: Registry, error: &ApiError) -> HttpResponse {
    state.record(registry, Outcome::BadRequest);
    error.error_response()
}

/// Runs one well-formed call through the capacity and failure model.
async fn simulate<T: Serialize>(
    state: &AppState,
    registry: Registry,
    respond: impl FnOnce(&Answers) -> T,
    nik: &Nik,
) -> HttpResponse {
    let config = state.config();
    if config.down.contains(&registry) {
        state.record(registry, Outcome::Error);
        return problem(StatusCode::SERVICE_UNAVAILABLE, "registry is down", None);
    }
    let behaviour = config.registry(registry);
    let in_flight = state.enter(registry);
    if behaviour.max_concurrent > 0 && in_flight.count() > u64::from(behaviour.max_concurrent) {
        state.record(registry, Outcome::Overloaded);
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many concurrent requests",
            Some(1),
        );
    }
    if let Err(wait) =
        state
            .gate(registry)
            .take_token(behaviour.rate_per_sec, behaviour.burst, Instant::now())
    {
        state.record(registry, Outcome::RateLimited);
        let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        return problem(
            StatusCode::TOO_MANY_REQUESTS,
            "request rate above capacity",
            Some(secs),
        );
    }
    let latency = latency(behaviour);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if behaviour.error_rate > 0.0 && rand::random::<f64>() < behaviour.error_rate {
        state.record(registry, Outcome::Error);
        let status = if rand::random::<bool>() {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        return problem(status, "injected failure", None);
    }
    let body = respond(&answers(nik, &config.fractions, today()));
    drop(in_flight);
    state.record(registry, Outcome::Ok);
    HttpResponse::Ok().json(body)
}

/// Mean ± uniform jitter, floored at zero.
fn latency(behaviour: &RegistryConfig) -> Duration {
    let mean = behaviour.latency_ms;
    let jitter = behaviour.latency_jitter_ms;
    let ms = if jitter == 0 {
        mean
    } else {
        rand::random_range(mean.saturating_sub(jitter)..=mean.saturating_add(jitter))
    };
    Duration::from_millis(ms)
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}
