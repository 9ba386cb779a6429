//! A wave's selection and its announcement: the same store calls and
//! refusals as `lonjak-ops select --direct-database`. Both run in their own
//! task, so a client that hangs up does not cut a transaction or a page of
//! confirms in the middle; a second call finds the work done (selection) or
//! resumes it (announcement).

use std::time::Instant;

use actix_web::{HttpResponse, web};
use lonjak_bus::Bus;
use lonjak_ops::announce::announce;
use lonjak_ops::wire::{AnnouncementBody, ProblemBody, SelectionBody};
use serde::Deserialize;

use super::wave_from_path;
use crate::auth::Operator;
use crate::problem::AdminError;
use crate::state::AdminState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectQuery {
    /// Sort memory for the ranking (e.g. `256MB`); default `admin.work_mem`.
    work_mem: Option<String>,
}

/// `POST /v1/waves/{wave}/selection`: decides a closed wave, once. Answers
/// `decided` the first time and `already_decided` with the same counts
/// after; 409 while the wave is not closed or still has registrations on
/// their way to scoring; 404 for an unknown wave.
#[utoipa::path(
    post,
    path = "/v1/waves/{wave}/selection",
    params(("wave" = u32, Path, description = "Wave number"), ("work_mem" = Option<String>, Query, description = "PostgreSQL sort memory, e.g. 256MB")),
    responses(
        (status = 200, description = "Decided now, or already decided (same counts)", body = SelectionBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such wave", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Not closed, or registrations still on their way to scoring", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a wave number", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn select(
    Operator(caller): Operator,
    path: web::Path<String>,
    query: web::Query<SelectQuery>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let wave = wave_from_path(&path)?;
    let work_mem = query
        .into_inner()
        .work_mem
        .unwrap_or_else(|| state.work_mem.clone());
    let started = Instant::now();
    let store = state.batch_store.clone();
    let outcome = tokio::spawn(async move { store.select_wave(wave, Some(&work_mem)).await })
        .await
        .map_err(|e| AdminError::Internal(Box::new(e)))??;
    let body = SelectionBody::new(wave, outcome, started.elapsed().as_millis() as u64);
    tracing::info!(
        wave = wave.get(),
        caller.name = %caller.name,
        outcome = ?body.outcome,
        selected = body.selected,
        waitlisted = body.waitlisted,
        rejected = body.rejected,
        duration_ms = body.duration_ms,
        "wave selection"
    );
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnounceQuery {
    /// Events per page; default `admin.announce_page`.
    page: Option<u32>,
}

/// `POST /v1/waves/{wave}/announcement`: publishes every decision not yet
/// announced (one confirmed event per applicant, a page at a time) and
/// moves the wave to `announced`. Safe to call again: it resumes, and on an
/// announced wave publishes nothing. 409 before the wave is selected.
#[utoipa::path(
    post,
    path = "/v1/waves/{wave}/announcement",
    params(("wave" = u32, Path, description = "Wave number"), ("page" = Option<u32>, Query, description = "Events per confirmed page")),
    responses(
        (status = 200, description = "Published what was left", body = AnnouncementBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such wave", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Not selected yet", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a wave number", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "The broker is unreachable", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn announcement(
    Operator(caller): Operator,
    path: web::Path<String>,
    query: web::Query<AnnounceQuery>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let wave = wave_from_path(&path)?;
    let page = query.into_inner().page.unwrap_or(state.announce_page);
    if page == 0 {
        return Err(AdminError::invalid_field(
            "page",
            "range",
            "page must be at least 1",
        ));
    }
    let record = state
        .store
        .wave(wave)
        .await?
        .ok_or(lonjak_store::WaveChangeError::NotFound(wave))?;
    if record.selected_at.is_none() {
        return Err(AdminError::Conflict {
            slug: "wave-state",
            field: "wave",
            rule: "selected",
            detail: format!(
                "Wave {wave} is {}; select it before announcing.",
                record.state
            ),
        });
    }
    let task_state = state.clone();
    let announced = tokio::spawn(async move {
        let _one = task_state.announcing.lock().await;
        let bus = Bus::connect(task_state.bus.clone())
            .await
            .map_err(|e| AdminError::Unavailable(Box::new(e)))?;
        let run = announce(&task_state.batch_store, &bus, wave, page, None).await;
        bus.close().await;
        run.map_err(|e| AdminError::Internal(e.into()))
    })
    .await
    .map_err(|e| AdminError::Internal(Box::new(e)))??;
    tracing::info!(
        wave = wave.get(),
        caller.name = %caller.name,
        published = announced.published,
        finished = announced.finished,
        "wave announcement"
    );
    Ok(HttpResponse::Ok().json(AnnouncementBody {
        wave,
        published: announced.published,
        finished: announced.finished,
    }))
}
