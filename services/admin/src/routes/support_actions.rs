//! What an agent may do about a registration, each with a reason, limited
//! per registration and day, and logged: re-send the verification link and
//! re-send a notification (both through the notifier, as the applicant's
//! own re-send goes), and ask an operator to replay its dead letters.

use actix_web::{HttpResponse, web};
use lonjak_bus::{Bus, Envelope, WorkQueue};
use lonjak_domain::events::{EmailVerificationRequested, RankingPage, SelectionDecided};
use lonjak_domain::{RegistrationId, submission_date};
use lonjak_ops::support_wire::{
    ActionBody, ActionRequest, NotificationResendRequest, ReplayRequestBody,
};
use lonjak_ops::wire::ProblemBody;
use lonjak_store::{AccessEntry, LinkResend, NotificationResend, ReplayFiled, ResendSource};
use time::OffsetDateTime;

use super::id_from_path;
use super::support_ops::replay_body;
use crate::access::Desk;
use crate::auth::Staff;
use crate::problem::AdminError;
use crate::state::AdminState;

fn limited(action: &str, limit: u32) -> AdminError {
    AdminError::Conflict {
        slug: "support-limit",
        field: "registration_id",
        rule: "daily_limit",
        detail: format!(
            "{action} is allowed {limit} time(s) a day per registration; try again tomorrow (WIB)."
        ),
    }
}

fn conflict(rule: &'static str, detail: &str) -> AdminError {
    AdminError::Conflict {
        slug: "support-action",
        field: "registration_id",
        rule,
        detail: detail.to_owned(),
    }
}

fn no_such(id: &RegistrationId) -> AdminError {
    AdminError::NotFound {
        field: "registration_id",
        detail: format!("No registration {id}."),
    }
}

/// Publishes one event through a connection of its own (a rare action: the
/// API holds no broker connection while idle).
async fn publish(
    state: &AdminState,
    send: impl AsyncFnOnce(&Bus) -> Result<(), lonjak_bus::PublishError>,
) -> Result<(), AdminError> {
    let bus = Bus::connect(state.bus.clone())
        .await
        .map_err(|e| AdminError::Unavailable(Box::new(e)))?;
    let sent = send(&bus).await;
    bus.close().await;
    sent.map_err(|e| AdminError::Unavailable(Box::new(e)))
}

/// The id from the path and the body's reason, refusals logged.
async fn parse_common<T: serde::de::DeserializeOwned>(
    desk: &Desk<'_>,
    path: &str,
    body: &[u8],
    reason_of: impl Fn(&T) -> Option<String>,
) -> Result<(RegistrationId, T, AccessEntry), AdminError> {
    let mut base = desk.entry("invalid");
    let id = match id_from_path(path) {
        Ok(id) => id,
        Err(e) => return Err(desk.refuse(base, e).await),
    };
    base.registration_ids = vec![id.to_string()];
    let request: T = desk.body(body, base.clone()).await?;
    let reason = desk
        .reason(reason_of(&request).as_deref(), base.clone())
        .await?;
    base.reason = Some(reason);
    base.outcome = "ok".to_owned();
    Ok((id, request, base))
}

async fn failed(desk: &Desk<'_>, entry: &AccessEntry, error: AdminError) -> AdminError {
    let entry = AccessEntry {
        outcome: "failed".to_owned(),
        detail: Some("publish failed".to_owned()),
        ..entry.clone()
    };
    desk.refuse(entry, error).await
}

async fn refused(
    desk: &Desk<'_>,
    entry: &AccessEntry,
    outcome: &str,
    error: AdminError,
) -> AdminError {
    let entry = AccessEntry {
        outcome: outcome.to_owned(),
        ..entry.clone()
    };
    desk.refuse(entry, error).await
}

/// `POST /v1/support/registrations/{id}/verification-email`.
#[utoipa::path(
    post,
    path = "/v1/support/registrations/{id}/verification-email",
    params(("id" = String, Path, description = "Registration id, 32 lowercase hex digits")),
    request_body = ActionRequest,
    responses(
        (status = 202, description = "A new link is on its way (through the notifier)", body = ActionBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such registration (recorded)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Verified already, or the day's limit is reached", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or not a registration id", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "The broker is not answering", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn resend_link(
    Staff(caller): Staff,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let desk = Desk::new(&state, &caller, "resend_verification_email");
    let (id, _, entry) =
        parse_common(&desk, &path, &body, |r: &ActionRequest| r.reason.clone()).await?;
    let limit = state.support.resend_link_per_day;
    let now = OffsetDateTime::now_utc();
    let counted = state
        .store
        .support_resend_link(&id, submission_date(now), limit, &entry)
        .await?;
    let (sequence, count) = match counted {
        LinkResend::Send { sequence, count } => (sequence, count),
        LinkResend::AlreadyVerified => {
            let e = conflict(
                "unverified",
                "The address is verified already: nothing to send.",
            );
            return Err(refused(&desk, &entry, "conflict", e).await);
        }
        LinkResend::Unknown => return Err(refused(&desk, &entry, "not_found", no_such(&id)).await),
        LinkResend::LimitReached => {
            return Err(refused(
                &desk,
                &entry,
                "limited",
                limited("Re-sending the link", limit),
            )
            .await);
        }
    };
    // The applicant's own re-send publishes the same event (the gateway);
    // the notifier renders and sends it, once per sequence.
    let envelope = Envelope::event(
        format!("support-resend-{id}-{sequence}"),
        EmailVerificationRequested {
            registration_id: id,
            requested_at: now,
            sequence,
        },
    );
    if let Err(e) = publish(&state, async |bus| {
        bus.publisher().publish_event(&envelope, None).await
    })
    .await
    {
        return Err(failed(&desk, &entry, e).await);
    }
    tracing::info!(registration.id = %id, caller.name = %caller.name, "support: verification link re-sent");
    Ok(HttpResponse::Accepted().json(ActionBody {
        registration_id: id.to_string(),
        action: "resend_verification_email".to_owned(),
        status: "sending".to_owned(),
        left_today: limit.saturating_sub(count),
    }))
}

/// `POST /v1/support/registrations/{id}/notifications/resend`.
#[utoipa::path(
    post,
    path = "/v1/support/registrations/{id}/notifications/resend",
    params(("id" = String, Path, description = "Registration id, 32 lowercase hex digits")),
    request_body = NotificationResendRequest,
    responses(
        (status = 202, description = "The notification is on its way again (through the notifier)", body = ActionBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such notification of this registration", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Being sent now, a verification link (use verification-email), nothing to rebuild it from, or the day's limit is reached", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "No reason, event or channel, or not a registration id", body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "The broker is not answering", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn resend_notification(
    Staff(caller): Staff,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let desk = Desk::new(&state, &caller, "resend_notification");
    let (id, request, mut entry) =
        parse_common(&desk, &path, &body, |r: &NotificationResendRequest| {
            r.reason.clone()
        })
        .await?;
    let event = request.event.as_deref().map(str::trim).unwrap_or_default();
    let channel = request
        .channel
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    let queue = match channel {
        "email" => WorkQueue::NotifyEmail,
        "sms" => WorkQueue::NotifySms,
        _ => {
            let e = AdminError::invalid_field("channel", "one_of", "email or sms");
            return Err(refused(&desk, &entry, "invalid", e).await);
        }
    };
    if event.is_empty() || event.len() > 100 {
        let e = AdminError::invalid_field(
            "event",
            "required",
            "The notification's event, as the look-up lists it.",
        );
        return Err(refused(&desk, &entry, "invalid", e).await);
    }
    entry.detail = Some(format!("{event} by {channel}"));
    let limit = state.support.resend_notification_per_day;
    let now = OffsetDateTime::now_utc();
    let found = state
        .store
        .support_resend_notification(&id, event, channel, submission_date(now), limit, &entry)
        .await?;
    let (source, count) = match found {
        NotificationResend::Send { source, count } => (source, count),
        NotificationResend::Unknown => {
            let e = AdminError::NotFound {
                field: "event",
                detail: format!("Registration {id} has no {event} notification by {channel}."),
            };
            return Err(refused(&desk, &entry, "not_found", e).await);
        }
        NotificationResend::InFlight => {
            let e = conflict("not_in_flight", "A notifier is sending it right now.");
            return Err(refused(&desk, &entry, "conflict", e).await);
        }
        NotificationResend::VerificationLink => {
            let e = conflict(
                "not_a_link",
                "A verification link is re-sent as a new link: use verification-email.",
            );
            return Err(refused(&desk, &entry, "conflict", e).await);
        }
        NotificationResend::NoSource => {
            let e = conflict(
                "rebuildable",
                "Nothing is left to rebuild this notification from.",
            );
            return Err(refused(&desk, &entry, "conflict", e).await);
        }
        NotificationResend::LimitReached => {
            return Err(refused(
                &desk,
                &entry,
                "limited",
                limited("Re-sending a notification", limit),
            )
            .await);
        }
    };
    // Straight to this channel's queue: the other channel and the other
    // consumers of the event (eligibility) must not see it again.
    let queue_name = state_queue(&state, queue);
    let correlation = format!("support-resend-{id}");
    // A selection decision goes again as a one-rank page, which the
    // notifier fans out to this applicant alone.
    let page = |wave, rank, decided_at, ranking| SelectionDecided {
        wave,
        first_rank: rank,
        last_rank: rank,
        decided_at,
        ranking,
    };
    let (routing_key, payload) = match source {
        ResendSource::Event {
            routing_key,
            payload,
        } => (routing_key, Ok(payload)),
        ResendSource::Decision {
            wave,
            rank,
            decided_at,
        } => (
            SelectionDecided::ROUTING_KEY.to_owned(),
            serde_json::to_value(page(wave, rank, decided_at, None)),
        ),
        ResendSource::Ranked {
            wave,
            rank,
            decided_at,
            after,
        } => (
            SelectionDecided::ROUTING_KEY.to_owned(),
            serde_json::to_value(page(wave, rank, decided_at, Some(RankingPage { after }))),
        ),
    };
    let payload = match payload {
        Ok(payload) => payload,
        Err(e) => return Err(failed(&desk, &entry, AdminError::Internal(Box::new(e))).await),
    };
    let envelope = Envelope::new(&routing_key, correlation, payload);
    let sent = publish(&state, async |bus| {
        bus.publisher()
            .publish_to_queue(&queue_name, &envelope, None)
            .await
    })
    .await;
    if let Err(e) = sent {
        return Err(failed(&desk, &entry, e).await);
    }
    tracing::info!(registration.id = %id, caller.name = %caller.name, channel, "support: notification re-sent");
    Ok(HttpResponse::Accepted().json(ActionBody {
        registration_id: id.to_string(),
        action: "resend_notification".to_owned(),
        status: "sending".to_owned(),
        left_today: limit.saturating_sub(count),
    }))
}

fn state_queue(state: &AdminState, queue: WorkQueue) -> String {
    lonjak_bus::Topology::new(&state.bus).queue(queue)
}

/// `POST /v1/support/registrations/{id}/replay-request`.
#[utoipa::path(
    post,
    path = "/v1/support/registrations/{id}/replay-request",
    params(("id" = String, Path, description = "Registration id, 32 lowercase hex digits (from the look-up or the applicant's receipt)")),
    request_body = ActionRequest,
    responses(
        (status = 201, description = "Filed for an operator", body = ReplayRequestBody),
        (status = 200, description = "One was open already: that one", body = ReplayRequestBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The day's limit is reached", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or not a registration id", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn request_replay(
    Staff(caller): Staff,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let desk = Desk::new(&state, &caller, "replay_request");
    let (id, _, entry) =
        parse_common(&desk, &path, &body, |r: &ActionRequest| r.reason.clone()).await?;
    let limit = state.support.replay_requests_per_day;
    let reason = entry.reason.clone().unwrap_or_default();
    let filed = state
        .store
        .file_replay_request(
            &id,
            &caller.name,
            &reason,
            submission_date(OffsetDateTime::now_utc()),
            limit,
            &entry,
        )
        .await;
    match filed {
        Ok(ReplayFiled::Filed(request)) => {
            tracing::info!(registration.id = %id, caller.name = %caller.name, request.id = request.id, "support: replay requested");
            Ok(HttpResponse::Created().json(replay_body(&request)))
        }
        Ok(ReplayFiled::AlreadyOpen(request)) => {
            let entry = AccessEntry {
                outcome: "conflict".to_owned(),
                detail: Some(format!("request {} open already", request.id)),
                ..entry
            };
            desk.record(&entry).await?;
            Ok(HttpResponse::Ok().json(replay_body(&request)))
        }
        Ok(ReplayFiled::LimitReached) => Err(refused(
            &desk,
            &entry,
            "limited",
            limited("Requesting a replay", limit),
        )
        .await),
        // Two agents at once: the other's request is the open one.
        Err(lonjak_store::StoreError::Conflict) => {
            let e = conflict(
                "one_open",
                "Another replay request for it was filed just now.",
            );
            Err(refused(&desk, &entry, "conflict", e).await)
        }
        Err(e) => Err(e.into()),
    }
}
