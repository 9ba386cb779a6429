//! The operators' side of the support desk: the access log, and the replay
//! requests agents filed (listed, then closed once `lonjak-ops support
//! replay` has moved the dead letters, or declined).

use actix_web::{HttpResponse, web};
use lonjak_ops::support_wire::{AccessLogBody, CloseReplayRequest, ReplayRequestBody};
use lonjak_ops::wire::ProblemBody;
use lonjak_store::{AccessEntry, AccessFilter, ReplayClosed, ReplayRequest};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::support::rfc3339;
use crate::access::Desk;
use crate::auth::Operator;
use crate::problem::AdminError;
use crate::state::AdminState;

pub(crate) fn replay_body(r: &ReplayRequest) -> ReplayRequestBody {
    ReplayRequestBody {
        id: r.id,
        registration_id: r.registration_id.clone(),
        requested_by: r.requested_by.clone(),
        reason: r.reason.clone(),
        requested_at: rfc3339(r.requested_at),
        state: r.state.clone(),
        handled_by: r.handled_by.clone(),
        handled_at: r.handled_at.map(rfc3339),
        note: r.note.clone(),
    }
}

/// Filters of `GET /v1/access-log`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AccessQuery {
    /// A token holder's name.
    actor: Option<String>,
    /// Entries naming this registration.
    registration_id: Option<String>,
    /// lookup, lookup_unmasked, resend_verification_email, …, or `METHOD /route` of a refusal.
    action: Option<String>,
    /// ok, not_found, invalid, forbidden, unauthenticated, limited, conflict, failed.
    outcome: Option<String>,
    /// RFC 3339: at or after.
    since: Option<String>,
    /// RFC 3339: before.
    until: Option<String>,
    /// Entries older than this id (the next page).
    before_id: Option<i64>,
    /// At most this many, newest first (default 100, at most 1,000).
    limit: Option<u32>,
}

fn time_of(field: &str, value: Option<&str>) -> Result<Option<OffsetDateTime>, AdminError> {
    value
        .map(|v| {
            OffsetDateTime::parse(v, &Rfc3339)
                .map_err(|_| AdminError::invalid_field(field, "rfc3339", "An RFC 3339 time."))
        })
        .transpose()
}

/// `GET /v1/access-log` (operators).
#[utoipa::path(
    get,
    path = "/v1/access-log",
    params(AccessQuery),
    responses(
        (status = 200, description = "Entries, newest first", body = Vec<AccessLogBody>),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Agents may not read it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A malformed filter", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn access_log(
    Operator(caller): Operator,
    query: web::Query<AccessQuery>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let filter = AccessFilter {
        actor: query.actor.clone(),
        registration_id: query.registration_id.clone(),
        action: query.action.clone(),
        outcome: query.outcome.clone(),
        since: time_of("since", query.since.as_deref())?,
        until: time_of("until", query.until.as_deref())?,
        before_id: query.before_id,
        limit: query.limit.unwrap_or(100),
    };
    let entries = state.store.access_log(&filter).await?;
    let desk = Desk::new(&state, &caller, "access_log_read");
    let entry = AccessEntry {
        registration_ids: query.registration_id.iter().cloned().collect(),
        detail: Some(format!("{} entries", entries.len())),
        ..desk.entry("ok")
    };
    desk.record(&entry).await?;
    let body: Vec<AccessLogBody> = entries
        .into_iter()
        .map(|e| AccessLogBody {
            id: e.id,
            at: rfc3339(e.at),
            actor: e.actor,
            role: e.role,
            action: e.action,
            lookup_kind: e.lookup_kind,
            registration_ids: e.registration_ids,
            reason: e.reason,
            outcome: e.outcome,
            detail: e.detail,
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// `?state=` of the replay requests' list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReplayQuery {
    /// open, replayed or declined; all when absent.
    state: Option<String>,
}

/// `GET /v1/support/replay-requests` (operators).
#[utoipa::path(
    get,
    path = "/v1/support/replay-requests",
    params(ReplayQuery),
    responses(
        (status = 200, description = "Replay requests, oldest first", body = Vec<ReplayRequestBody>),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Agents may not list them", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "An unknown state", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn replay_requests(
    _: Operator,
    query: web::Query<ReplayQuery>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let wanted = query.state.as_deref();
    if wanted.is_some_and(|s| !matches!(s, "open" | "replayed" | "declined")) {
        return Err(AdminError::invalid_field(
            "state",
            "one_of",
            "open, replayed or declined",
        ));
    }
    let requests = state.store.replay_requests(wanted, 1_000).await?;
    let body: Vec<ReplayRequestBody> = requests.iter().map(replay_body).collect();
    Ok(HttpResponse::Ok().json(body))
}

/// `POST /v1/support/replay-requests/{id}/close` (operators).
#[utoipa::path(
    post,
    path = "/v1/support/replay-requests/{id}/close",
    params(("id" = i64, Path, description = "The replay request's id")),
    request_body = CloseReplayRequest,
    responses(
        (status = 200, description = "Closed", body = ReplayRequestBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "Agents may not close them", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Closed already", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A state other than replayed or declined", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn close_replay_request(
    Operator(caller): Operator,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let desk = Desk::new(&state, &caller, "replay_request_close");
    let request = path.parse::<i64>().map_err(|_| {
        AdminError::invalid_field("id", "format", "A replay request's id (a number).")
    })?;
    let close: CloseReplayRequest = desk.body(&body, desk.entry("invalid")).await?;
    let closing = close.state.as_deref().unwrap_or_default();
    if !matches!(closing, "replayed" | "declined") {
        return Err(AdminError::invalid_field(
            "state",
            "one_of",
            "replayed or declined",
        ));
    }
    let note = close
        .note
        .as_deref()
        .map(|n| n.chars().take(500).collect::<String>());
    let entry = AccessEntry {
        detail: Some(format!("request {request} {closing}")),
        reason: note.clone(),
        ..desk.entry("ok")
    };
    match state
        .store
        .close_replay_request(request, closing, &caller.name, note.as_deref(), &entry)
        .await?
    {
        ReplayClosed::Closed(r) => Ok(HttpResponse::Ok().json(replay_body(&r))),
        ReplayClosed::NotFound => Err(AdminError::NotFound {
            field: "id",
            detail: format!("No replay request {request}."),
        }),
        ReplayClosed::NotOpen(state) => Err(AdminError::Conflict {
            slug: "replay-request-closed",
            field: "id",
            rule: "open",
            detail: format!("Replay request {request} is {state} already."),
        }),
    }
}
