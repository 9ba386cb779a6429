//! `POST /v1/waves/{wave}/queue` (join) and `GET
//! /v1/waves/{wave}/queue/{ticket}` (the ticket's status). Both are
//! limited per client like status look-ups: re-joining returns the same
//! ticket, so retrying faster gains nothing but 429s.

use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};
use lonjak_domain::Wave;
use lonjak_store::{Joined, TicketState};
use serde::Serialize;
use time::OffsetDateTime;

use super::metrics::TicketOutcome;
use super::{WaitEstimate, WaitRoom, estimate_wait, queue_basis};
use crate::admission::{AdmissionState, client_ip, limit_key, status_limit_middleware};
use crate::fallback::method_not_allowed;
use crate::problem::Problem;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/waves/{wave}/queue")
            .wrap(from_fn(status_limit_middleware))
            .route(web::post().to(join))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/v1/waves/{wave}/queue/{ticket}")
            .wrap(from_fn(status_limit_middleware))
            .route(web::get().to(ticket_status))
            .default_service(method_not_allowed("GET")),
    );
}

/// A ticket's status, as its holder sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TicketStatus {
    /// The signed ticket: keep it, show it in `Waitroom-Ticket` to register.
    pub ticket: String,
    pub wave: u32,
    /// `drawing` (joined before opening: placed at random when the wave
    /// opens), `waiting`, `admitted` (may register until `admitted_until`),
    /// `used` or `expired` (join again: back of the queue).
    pub state: &'static str,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub opens_at: OffsetDateTime,
    /// Tickets ahead of this one still waiting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahead: Option<u64>,
    /// Seconds until admission, with a likely range; absent while drawing
    /// or when no rate has been measured yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_wait: Option<WaitEstimate>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub admitted_until: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_id: Option<String>,
    /// When to check again (also in `Retry-After`): often near the front,
    /// rarely far back.
    pub poll_after_seconds: u64,
}

/// Join a wave's queue.
#[utoipa::path(
    post,
    path = "/v1/waves/{wave}/queue",
    params(("wave" = u32, Path, description = "Wave number")),
    responses(
        (status = 201, description = "Joined: a new ticket", body = TicketStatus),
        (status = 200, description = "This client's existing ticket (same place)", body = TicketStatus),
        (status = 403, description = "A solved challenge is needed (`challenge-required`, `challenge-invalid`, `challenge-expired`, `challenge-failed`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The wave has no waiting room", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Joining has not opened yet; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Waiting room unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn join(
    req: HttpRequest,
    path: web::Path<String>,
    room: web::Data<WaitRoom>,
    app: web::Data<AppState>,
    admission: web::Data<AdmissionState>,
) -> HttpResponse {
    let Some((wave, store)) = wave_and_store(&room, &path).await else {
        return refuse(&room, TicketOutcome::not_waitroom_wave, no_waitroom(), true);
    };
    let Ok(store) = store else {
        return refuse(&room, TicketOutcome::unavailable, unavailable(&room), true);
    };
    let client = client_key(&req, &room, &admission);
    let key = room.key.client_hash(wave, &client);
    if let Err(refusal) = super::challenge_route::check(&req, &room, wave, &key).await {
        return refusal;
    }
    // The first wait announced is recorded with the join itself.
    let first_estimate = |state: &TicketState| {
        let body = view(&room, &app, wave, String::new(), state);
        announced(&body)
    };
    let joined = match store
        .waitroom_join(
            wave,
            &key,
            room.settings.fair_start(),
            room.settings.permit(),
            first_estimate,
        )
        .await
    {
        Ok(joined) => joined,
        Err(error) => {
            tracing::warn!(error = %crate::problem::chain(&error), "join failed");
            return refuse(&room, TicketOutcome::unavailable, unavailable(&room), true);
        }
    };
    match joined {
        Joined::NotOpenYet { opens_at } => {
            let wait = (opens_at - OffsetDateTime::now_utc())
                .whole_seconds()
                .max(1) as u64;
            let secs = wait.saturating_sub(room.settings.fair_start_secs).max(1);
            let problem = Problem::new(
                actix_web::http::StatusCode::CONFLICT,
                "queue-not-open",
                "The queue has not opened yet",
                format!("Joining wave {wave} opens {secs} s before the wave does."),
            )
            .retry_after(secs);
            refuse(&room, TicketOutcome::not_open_yet, problem, true)
        }
        Joined::Ticket {
            id,
            rejoined,
            state,
        } => {
            let outcome = if rejoined {
                TicketOutcome::rejoined
            } else {
                TicketOutcome::joined
            };
            room.metrics.join(outcome);
            let body = view(&room, &app, wave, room.key.sign(wave, id), &state);
            let mut res = if rejoined {
                HttpResponse::Ok()
            } else {
                HttpResponse::Created()
            };
            res.insert_header((
                header::LOCATION,
                format!("/v1/waves/{wave}/queue/{}", body.ticket),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(body)
        }
    }
}

/// A ticket's position, wait and permission.
#[utoipa::path(
    get,
    path = "/v1/waves/{wave}/queue/{ticket}",
    params(
        ("wave" = u32, Path, description = "Wave number"),
        ("ticket" = String, Path, description = "The ticket from joining"),
    ),
    responses(
        (status = 200, description = "The ticket's status", body = TicketStatus),
        (status = 404, description = "Not a ticket of this wave", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many checks from this client", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Waiting room unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ticket_status(
    path: web::Path<(String, String)>,
    room: web::Data<WaitRoom>,
    app: web::Data<AppState>,
) -> HttpResponse {
    let (wave, token) = path.into_inner();
    let Some((wave, store)) = wave_and_store(&room, &wave).await else {
        return refuse(
            &room,
            TicketOutcome::not_waitroom_wave,
            no_waitroom(),
            false,
        );
    };
    let unknown = || Problem::not_found("No such ticket in this wave.");
    let Ok(id) = room.key.verify(wave, &token) else {
        return refuse(&room, TicketOutcome::bad_ticket, unknown(), false);
    };
    let Ok(store) = store else {
        return refuse(&room, TicketOutcome::unavailable, unavailable(&room), false);
    };
    let state = match store.waitroom_ticket(wave, id).await {
        Ok(Some(state)) => state,
        Ok(None) => return refuse(&room, TicketOutcome::bad_ticket, unknown(), false),
        Err(error) => {
            tracing::warn!(error = %crate::problem::chain(&error), "ticket look-up failed");
            return refuse(&room, TicketOutcome::unavailable, unavailable(&room), false);
        }
    };
    let body = view(&room, &app, wave, token, &state);
    room.metrics.check(outcome_of(body.state));
    record_estimate(store, wave, id, &state, &body).await;
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::RETRY_AFTER, body.poll_after_seconds.to_string()))
        .json(body)
}

async fn wave_and_store<'a>(
    room: &'a WaitRoom,
    wave: &str,
) -> Option<(
    Wave,
    Result<&'a lonjak_store::Store, lonjak_store::StoreError>,
)> {
    let wave = guarded_wave(room, wave)?;
    Some((wave, room.store.as_ref()?.get().await))
}

/// The wave named in the path, if it runs a waiting room.
pub(super) fn guarded_wave(room: &WaitRoom, wave: &str) -> Option<Wave> {
    let wave = wave.parse::<u32>().ok().and_then(|n| Wave::new(n).ok())?;
    room.guards(wave).then_some(wave)
}

/// The key one ticket per wave is allowed for: a trusted proxy's client key
/// when configured, else the client's address (IPv6 by its /64).
pub(super) fn client_key(req: &HttpRequest, room: &WaitRoom, admission: &AdmissionState) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    if let (Some(name), Some(peer)) = (&room.client_key_header, peer) {
        let trusted = room
            .trusted_proxies
            .iter()
            .any(|net| net.contains(&peer.to_canonical()));
        if let Some(value) = req.headers().get(name).and_then(|v| v.to_str().ok())
            && trusted
            && !value.is_empty()
        {
            return format!("header:{value}");
        }
    }
    client_ip(peer, req.headers(), &admission.trusted_proxies)
        .map(limit_key)
        .map_or_else(|| "unknown".to_owned(), |ip| format!("ip:{ip}"))
}

fn view(
    room: &WaitRoom,
    app: &AppState,
    wave: Wave,
    ticket: String,
    s: &TicketState,
) -> TicketStatus {
    let permit = time::Duration::seconds(room.settings.permit_secs as i64);
    let (state, ahead) = match (s.position, s.admitted_at) {
        _ if s.used_at.is_some() => ("used", None),
        _ if s.expired_at.is_some() => ("expired", None),
        (_, Some(at)) if s.now >= at + permit => ("expired", None),
        (_, Some(_)) => ("admitted", Some(0)),
        (None, None) => ("drawing", None),
        (Some(p), None) => ("waiting", Some((p - s.admitted_upto - 1).max(0) as u64)),
    };
    let sample = app.queue.sample();
    let estimated_wait = ahead.and_then(|a| {
        let basis = queue_basis(
            a as f64,
            sample.drain_rate(),
            sample.depth,
            room.settings.target_backlog_secs,
            room.max_admit_per_sec,
        );
        estimate_wait(
            basis.ahead,
            basis.per_sec,
            sample.shared_drain_std_dev,
            sample.shared_stalled_secs,
        )
    });
    let poll = room.settings.poll_secs;
    // Half the short end of the range: a turn that comes sooner than
    // announced is still seen in time, and a person checks about
    // log2(wait / poll) + 2 times. Checking every tenth of the wait
    // made 80,000 people waiting a minute or two ask ~12,000 times a
    // second, more than the crowd's own machine could send (docs/benchmarks.md).
    let poll_after_seconds = match (state, estimated_wait) {
        ("waiting", Some(e)) => (e.low_seconds / 2).clamp(poll, 60),
        ("drawing", _) => ((s.opens_at - s.now).whole_seconds().max(0) as u64).clamp(poll, 60),
        _ => poll,
    };
    TicketStatus {
        ticket,
        wave: wave.get(),
        state,
        opens_at: s.opens_at,
        ahead,
        estimated_wait,
        admitted_until: s
            .admitted_at
            .filter(|_| state == "admitted")
            .map(|at| at + permit),
        registration_id: s.registration_id.clone(),
        poll_after_seconds,
    }
}

/// The wait a waiting ticket's status announces, in seconds.
fn announced(body: &TicketStatus) -> Option<f64> {
    (body.state == "waiting")
        .then_some(body.estimated_wait)
        .flatten()
        .map(|e| e.seconds as f64)
}

/// The first wait announced to a placed ticket is kept, for the
/// estimate-error metric.
async fn record_estimate(
    store: &lonjak_store::Store,
    wave: Wave,
    id: uuid::Uuid,
    state: &TicketState,
    body: &TicketStatus,
) {
    if state.estimate_recorded || state.position.is_none() {
        return;
    }
    let Some(estimate) = announced(body) else {
        return;
    };
    if let Err(error) = store.waitroom_record_estimate(wave, id, estimate).await {
        tracing::warn!(error = %crate::problem::chain(&error), "recording an estimate failed");
    }
}

fn outcome_of(state: &str) -> TicketOutcome {
    match state {
        "admitted" => TicketOutcome::admitted,
        "used" => TicketOutcome::used,
        "expired" => TicketOutcome::expired,
        _ => TicketOutcome::waiting,
    }
}

fn refuse(
    room: &WaitRoom,
    outcome: TicketOutcome,
    problem: Problem,
    joining: bool,
) -> HttpResponse {
    if joining {
        room.metrics.join(outcome);
    } else {
        room.metrics.check(outcome);
    }
    problem.into_response()
}

fn no_waitroom() -> Problem {
    Problem::not_found("This wave has no waiting room: register directly.")
}

fn unavailable(room: &WaitRoom) -> Problem {
    Problem::unavailable(
        "waitroom-unavailable",
        "The waiting room is not reachable right now; your place is kept.",
        room.settings.poll_secs,
    )
}
