//! Waves: list, create, read, open, close, and a wave's funnel.

use actix_web::{HttpResponse, web};
use lonjak_domain::{Wave, WaveState};
use lonjak_ops::wire::{CreateWave, FieldProblem, FunnelBody, ProblemBody, WaveBody};
use lonjak_store::NewWave;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::wave_from_path;
use crate::auth::Operator;
use crate::problem::AdminError;
use crate::state::AdminState;

/// `GET /v1/waves`.
#[utoipa::path(
    get,
    path = "/v1/waves",
    responses(
        (status = 200, description = "Every wave, by number", body = [WaveBody]),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn list(_: Operator, state: web::Data<AdminState>) -> Result<HttpResponse, AdminError> {
    let waves = state.store.waves().await?;
    Ok(HttpResponse::Ok().json(waves.iter().map(WaveBody::from).collect::<Vec<_>>()))
}

/// `GET /v1/waves/{wave}`.
#[utoipa::path(
    get,
    path = "/v1/waves/{wave}",
    params(("wave" = u32, Path, description = "Wave number, 1 to 1,000,000")),
    responses(
        (status = 200, description = "The wave", body = WaveBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such wave", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a wave number", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    _: Operator,
    path: web::Path<String>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let wave = wave_from_path(&path)?;
    match state.store.wave(wave).await? {
        Some(record) => Ok(HttpResponse::Ok().json(WaveBody::from(&record))),
        None => Err(lonjak_store::WaveChangeError::NotFound(wave).into()),
    }
}

fn problem(field: &str, rule: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.to_owned(),
        rule: rule.to_owned(),
        message: message.into(),
    }
}

/// Checks every field of a creation, naming each one that breaks a rule.
fn new_wave(body: &CreateWave) -> Result<NewWave, AdminError> {
    let mut errors = Vec::new();
    let number = Wave::try_from(body.wave)
        .map_err(|e| errors.push(problem(e.field, e.rule, e.message.en())))
        .ok();
    let quota = u32::try_from(body.quota)
        .ok()
        .filter(|q| i32::try_from(*q).is_ok())
        .or_else(|| {
            errors.push(problem(
                "quota",
                "range",
                "quota must be between 0 and 2147483647",
            ));
            None
        });
    let mut time = |field: &str, value: &Option<String>| match value {
        None => None,
        Some(v) => OffsetDateTime::parse(v, &Rfc3339)
            .map_err(|_| {
                errors.push(problem(
                    field,
                    "rfc3339",
                    format!("{field} must be an RFC 3339 time"),
                ))
            })
            .ok(),
    };
    let opens_at = time("opens_at", &body.opens_at);
    let closes_at = time("closes_at", &body.closes_at);
    let opens = opens_at.unwrap_or_else(OffsetDateTime::now_utc);
    if closes_at.is_some_and(|closes| closes <= opens) {
        errors.push(problem(
            "closes_at",
            "after_opens_at",
            "closes_at must be after opens_at",
        ));
    }
    match (number, quota) {
        (Some(number), Some(quota)) if errors.is_empty() => Ok(NewWave {
            number,
            quota,
            opens_at,
            closes_at,
            email_verification_required: body.email_verification_required.unwrap_or(true),
            photos_required: body.photos_required.unwrap_or(false),
        }),
        _ => Err(AdminError::Invalid(errors)),
    }
}

/// `POST /v1/waves`: a planned wave (201).
#[utoipa::path(
    post,
    path = "/v1/waves",
    request_body = CreateWave,
    responses(
        (status = 201, description = "Created, planned", body = WaveBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The wave exists", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    _: Operator,
    body: web::Bytes,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let de = &mut serde_json::Deserializer::from_slice(&body);
    let body: CreateWave = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        AdminError::invalid_field(&field, "schema", e.inner().to_string())
    })?;
    let new = new_wave(&body)?;
    let record = state.store.create_wave(&new).await?;
    tracing::info!(
        wave = record.number.get(),
        quota = record.quota,
        "wave created"
    );
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/v1/waves/{}", record.number)))
        .json(WaveBody::from(&record)))
}

async fn move_wave(
    path: &str,
    state: &AdminState,
    to: WaveState,
) -> Result<HttpResponse, AdminError> {
    let wave = wave_from_path(path)?;
    let record = state.store.move_wave(wave, to).await?;
    tracing::info!(
        wave = wave.get(),
        state = record.state.as_str(),
        "wave moved"
    );
    Ok(HttpResponse::Ok().json(WaveBody::from(&record)))
}

/// `POST /v1/waves/{wave}/open`.
#[utoipa::path(
    post,
    path = "/v1/waves/{wave}/open",
    params(("wave" = u32, Path, description = "Wave number, 1 to 1,000,000")),
    responses(
        (status = 200, description = "Opened", body = WaveBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such wave", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Not planned", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a wave number", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn open(
    _: Operator,
    path: web::Path<String>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    move_wave(&path, &state, WaveState::Open).await
}

/// `POST /v1/waves/{wave}/close`: gateways refuse it within their poll
/// interval.
#[utoipa::path(
    post,
    path = "/v1/waves/{wave}/close",
    params(("wave" = u32, Path, description = "Wave number, 1 to 1,000,000")),
    responses(
        (status = 200, description = "Closed", body = WaveBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such wave", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Not open", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a wave number", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn close(
    _: Operator,
    path: web::Path<String>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    move_wave(&path, &state, WaveState::Closed).await
}

/// `GET /v1/waves/{wave}/funnel`: counts per state (404 for an unknown wave).
#[utoipa::path(
    get,
    path = "/v1/waves/{wave}/funnel",
    params(("wave" = u32, Path, description = "Wave number, 1 to 1,000,000")),
    responses(
        (status = 200, description = "Counts per state", body = FunnelBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such wave", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a wave number", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn funnel(
    _: Operator,
    path: web::Path<String>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let wave = wave_from_path(&path)?;
    if state.store.wave(wave).await?.is_none() {
        return Err(lonjak_store::WaveChangeError::NotFound(wave).into());
    }
    let funnel = state.store.funnel(wave).await?;
    Ok(HttpResponse::Ok().json(FunnelBody::new(wave, &funnel)))
}
