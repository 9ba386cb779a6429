//! Retention: what an erasure would take, the erasure, and a wave's own
//! period. Operators only. The same calls as `lonjak-ops retention …
//! --direct-database` (`lonjak_ops::retention`).

use actix_web::{HttpResponse, web};
use lonjak_ops::retention::{ErasureBody, RetentionPlanBody, erase, plan};
use lonjak_ops::wire::ProblemBody;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::wave_from_path;
use crate::auth::Operator;
use crate::problem::AdminError;
use crate::state::AdminState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    /// One wave; default every wave.
    wave: Option<String>,
}

/// The `wave` query parameter: 422 if it is not a wave number, 404 if
/// there is no such wave.
async fn wave_of(
    state: &AdminState,
    raw: Option<&str>,
) -> Result<Option<lonjak_domain::Wave>, AdminError> {
    let Some(wave) = raw.map(wave_from_path).transpose()? else {
        return Ok(None);
    };
    state
        .store
        .wave(wave)
        .await?
        .ok_or(lonjak_store::WaveChangeError::NotFound(wave))?;
    Ok(Some(wave))
}

/// `GET /v1/retention`: per wave, its state, announcement, period, due
/// date, and the rejected and waitlisted applicants an erasure takes.
#[utoipa::path(
    get,
    path = "/v1/retention",
    params(("wave" = Option<u32>, Query, description = "One wave (default: every wave)")),
    responses(
        (status = 200, description = "What an erasure would take, per wave", body = RetentionPlanBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such wave", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a wave number", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn retention_plan(
    Operator(_caller): Operator,
    query: web::Query<PlanQuery>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let wave = wave_of(&state, query.wave.as_deref()).await?;
    let body = plan(&state.batch_store, &state.retention, wave).await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EraseQuery {
    /// One wave; default every due wave.
    wave: Option<String>,
    /// At most this many applicants in this call.
    limit: Option<u64>,
}

/// `POST /v1/retention/erasure`: erases the personal data now due (every
/// due wave, or `wave` if it is due) and deletes the erased applicants'
/// photo objects. Safe to call again: it resumes, and finds nothing once
/// done.
#[utoipa::path(
    post,
    path = "/v1/retention/erasure",
    params(
        ("wave" = Option<u32>, Query, description = "One wave (default: every due wave)"),
        ("limit" = Option<u64>, Query, minimum = 1, description = "At most this many applicants")
    ),
    responses(
        (status = 200, description = "What this call erased", body = ErasureBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such wave", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a wave number, or a limit of 0", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn erasure(
    Operator(caller): Operator,
    query: web::Query<EraseQuery>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let query = query.into_inner();
    let wave = wave_of(&state, query.wave.as_deref()).await?;
    if query.limit == Some(0) {
        return Err(AdminError::invalid_field(
            "limit",
            "range",
            "limit must be at least 1",
        ));
    }
    let task_state = state.clone();
    // Its own task: a client that hangs up does not cut a batch mid-way.
    let done = tokio::spawn(async move {
        let s = &task_state;
        erase(
            &s.batch_store,
            s.objects.as_ref(),
            &s.retention,
            wave,
            query.limit,
        )
        .await
        .map_err(|e| AdminError::Internal(e.into()))
    })
    .await
    .map_err(|e| AdminError::Internal(Box::new(e)))??;
    tracing::info!(
        caller.name = %caller.name,
        waves = done.waves.len(),
        erased = done.waves.iter().map(|w| w.rejected + w.waitlisted).sum::<u64>(),
        objects_deleted = done.objects_deleted,
        photos_pending = done.photos_pending,
        complete = done.complete,
        "retention erasure"
    );
    Ok(HttpResponse::Ok().json(done))
}

/// `PUT /v1/waves/{wave}/retention`: the wave's own period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WavePeriodBody {
    /// Days after the announcement; `null`: `retention.period_days`.
    pub period_days: Option<u32>,
}

/// `PUT /v1/waves/{wave}/retention`: sets the wave's own retention period
/// (or clears it with `null`).
#[utoipa::path(
    put,
    path = "/v1/waves/{wave}/retention",
    params(("wave" = u32, Path, description = "Wave number")),
    request_body = WavePeriodBody,
    responses(
        (status = 200, description = "The period now set", body = WavePeriodBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such wave", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a wave number, or a bad body", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn set_period(
    Operator(caller): Operator,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let wave = wave_from_path(&path)?;
    let de = &mut serde_json::Deserializer::from_slice(&body);
    let body: WavePeriodBody = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        AdminError::invalid_field(&field, "schema", e.inner().to_string())
    })?;
    if body.period_days.is_some_and(|d| d > 36_500) {
        return Err(AdminError::invalid_field(
            "period_days",
            "range",
            "period_days must be at most 36500",
        ));
    }
    if !state
        .store
        .set_wave_retention(wave, body.period_days)
        .await?
    {
        return Err(lonjak_store::WaveChangeError::NotFound(wave).into());
    }
    tracing::info!(wave = wave.get(), caller.name = %caller.name, period_days = ?body.period_days, "wave retention period");
    Ok(HttpResponse::Ok().json(body))
}
