//! Email verification: following the link from an email
//! (`GET /v1/email-verifications/{token}`) and asking for it again
//! (`POST /v1/registrations/{id}/email-verification`). Neither answer ever
//! contains an email address, nor says whether an address is known.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use lonjak_bus::Envelope;
use lonjak_domain::events::EmailVerificationRequested;
use lonjak_domain::{
    EmailToken, EmailVerificationSettings, PROGRAMME_UTC_OFFSET, RegistrationId, TokenError,
    submission_date,
};
use lonjak_store::{Resend, Store};
use serde::Serialize;
use time::{OffsetDateTime, Time};

use crate::problem::{Problem, chain};
use crate::state::AppState;

/// The answer to a valid link.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Verified {
    pub registration_id: String,
    pub email_verified: bool,
    /// When the address was first verified (the same on every later visit).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub email_verified_at: OffsetDateTime,
}

/// The answer to a resend request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResendReceipt {
    pub registration_id: String,
    /// `sending` (a new link is on its way) or `already_verified` (nothing sent).
    pub status: String,
    /// Requests left today (WIB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resends_left_today: Option<u32>,
}

fn invalid_link() -> HttpResponse {
    Problem::new(
        StatusCode::NOT_FOUND,
        "invalid-verification-link",
        "This verification link is not valid",
        "Check that the whole link was opened, or ask for a new one.",
    )
    .into_response()
}

fn unavailable() -> HttpResponse {
    Problem::unavailable(
        "verification-unavailable",
        "Email verification is temporarily unavailable.",
        5,
    )
    .into_response()
}

/// The store and the settings, or the answer when either is missing.
async fn parts(state: &AppState) -> Result<(&Store, &EmailVerificationSettings), HttpResponse> {
    let Some(settings) = &state.email_verification else {
        return Err(unavailable());
    };
    match state.status.store().await {
        Ok(Some(store)) => Ok((store, settings)),
        Ok(None) => Err(unavailable()),
        Err(error) => {
            tracing::warn!(error = %chain(&error), "verification store unavailable");
            Err(unavailable())
        }
    }
}

/// Verify an email address.
#[utoipa::path(
    get,
    path = "/v1/email-verifications/{token}",
    params(("token" = String, Path, description = "The token from the emailed link")),
    responses(
        (status = 200, description = "The address is verified (also on every later visit)", body = Verified),
        (status = 404, description = "Not a valid link (malformed, altered, or unknown)", body = Problem, content_type = "application/problem+json"),
        (status = 405, description = "Method not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link has expired; ask for a new one", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Verification unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(name = "verify_email", skip_all)]
pub async fn verify(path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    // The token is never logged: it is a credential.
    let Ok(token) = EmailToken::parse(&path) else {
        return invalid_link();
    };
    let (store, settings) = match parts(&state).await {
        Ok(parts) => parts,
        Err(response) => return response,
    };
    let id = token.registration_id();
    // The link is signed over the address's keyed hash: the gateway never
    // holds the address. A row not rotated to sealed fields has no hash.
    let (address, verified_at) = match store.email_to_verify(&id).await {
        Ok(Some((Some(address), verified_at))) => (address, verified_at),
        Ok(Some((None, _))) => return invalid_link(),
        // Unknown: the same answer as an altered link.
        Ok(None) => return invalid_link(),
        Err(error) => {
            tracing::warn!(error = %chain(&error), "reading the address to verify failed");
            return unavailable();
        }
    };
    let now = OffsetDateTime::now_utc();
    match token.check(&settings.key, &address, now) {
        Ok(()) => {}
        // A genuine link followed again after it expired: already done.
        Err(TokenError::Expired) if verified_at.is_some() => {}
        Err(TokenError::Expired) => {
            return Problem::new(
                StatusCode::GONE,
                "expired-verification-link",
                "This verification link has expired",
                format!(
                    "Links are valid for {} hours. Ask for a new one with \
                     POST /v1/registrations/{id}/email-verification.",
                    settings.ttl_hours
                ),
            )
            .into_response();
        }
        Err(_) => return invalid_link(),
    }
    match store.mark_email_verified(&id, now).await {
        Ok(at) => {
            tracing::info!(registration.id = %id, "email address verified");
            HttpResponse::Ok().json(Verified {
                registration_id: id.to_string(),
                email_verified: true,
                email_verified_at: at,
            })
        }
        Err(error) => {
            tracing::warn!(error = %chain(&error), "recording a verified address failed");
            unavailable()
        }
    }
}

/// Send the verification link again.
#[utoipa::path(
    post,
    path = "/v1/registrations/{id}/email-verification",
    params(("id" = String, Path, description = "Registration id from the 202 receipt")),
    responses(
        (status = 200, description = "The address is verified already; nothing sent", body = ResendReceipt),
        (status = 202, description = "A new link is on its way", body = ResendReceipt),
        (status = 404, description = "Unknown id", body = Problem, content_type = "application/problem+json"),
        (status = 405, description = "Method not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not recorded yet: the first email, with the link, is still to come", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The day's limit of re-sent links is reached, or too many requests from this client; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Unavailable; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(name = "resend_email_verification", skip_all, fields(registration.id = %path))]
pub async fn resend(path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let Ok(id) = RegistrationId::parse(&path) else {
        return Problem::not_found("No registration with this id.").into_response();
    };
    let (store, settings) = match parts(&state).await {
        Ok(parts) => parts,
        Err(response) => return response,
    };
    let now = OffsetDateTime::now_utc();
    let limit = settings.resends_per_day;
    let sequence = match store.count_resend(&id, submission_date(now), limit).await {
        Ok(Resend::Allowed(n)) => n,
        Ok(Resend::AlreadyVerified) => {
            return HttpResponse::Ok().json(ResendReceipt {
                registration_id: id.to_string(),
                status: "already_verified".to_owned(),
                resends_left_today: None,
            });
        }
        Ok(Resend::LimitReached) => {
            return Problem::rate_limited(
                "resend-limit",
                format!("A verification link can be re-sent {limit} times a day; try again tomorrow (WIB)."),
                seconds_to_next_day(now),
            )
            .into_response();
        }
        Ok(Resend::Unknown) if id.is_issued_by(&state.identity) => {
            return Problem::new(
                StatusCode::CONFLICT,
                "not-recorded-yet",
                "The registration is still queued",
                "The first email, with the verification link, is sent once the registration is checked.",
            )
            .into_response();
        }
        Ok(Resend::Unknown) => {
            return Problem::not_found("No registration with this id.").into_response();
        }
        Err(error) => {
            tracing::warn!(error = %chain(&error), "counting a resend failed");
            return unavailable();
        }
    };
    let Some(bus) = state.bus.get() else {
        return unavailable();
    };
    let envelope = Envelope::event(
        format!("resend-{id}-{sequence}"),
        EmailVerificationRequested {
            registration_id: id,
            requested_at: now,
            sequence,
        },
    );
    // The request was counted before the publish: a failed publish costs
    // the applicant one of the day's requests, never sends twice.
    match bus.publisher().publish_event(&envelope, None).await {
        Ok(()) => HttpResponse::Accepted().json(ResendReceipt {
            registration_id: id.to_string(),
            status: "sending".to_owned(),
            resends_left_today: Some(limit.saturating_sub(sequence)),
        }),
        Err(error) => {
            tracing::warn!(error = %chain(&error), "publishing a resend request failed");
            unavailable()
        }
    }
}

/// Seconds until the next day begins in WIB.
fn seconds_to_next_day(now: OffsetDateTime) -> u64 {
    let local = now.to_offset(PROGRAMME_UTC_OFFSET);
    let next = local.date().next_day().map(|day| {
        day.with_time(Time::MIDNIGHT)
            .assume_offset(PROGRAMME_UTC_OFFSET)
    });
    next.map(|next| (next - now).whole_seconds().max(1).unsigned_abs())
        .unwrap_or(86_400)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_day_ends_at_midnight_wib() {
        // 16:00 UTC is 23:00 WIB: one hour left.
        assert_eq!(seconds_to_next_day(datetime!(2020-04-11 16:00 UTC)), 3_600);
        // 17:00 UTC is midnight WIB: a whole day.
        assert_eq!(seconds_to_next_day(datetime!(2020-04-11 17:00 UTC)), 86_400);
    }
}
