//! `GET /v1/registrations/{id}`: the current state, never personal data.

use actix_web::{HttpResponse, web};
use lonjak_domain::{Message, PhotoKind, PhotoState, RegistrationId};
use serde::Serialize;
use time::OffsetDateTime;

use crate::language::AnswerLanguage;
use crate::metrics::StatusOutcome;
use crate::problem::{FieldProblem, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusBody {
    pub registration_id: String,
    /// queued, verifying, verified, scored, selected, waitlisted or rejected.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<OffsetDateTime>,
    /// For `queued` only: at most this many registrations are ahead (the
    /// whole queue, or with `?queue_mark=` those still ahead of this one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_position_estimate: Option<u32>,
    /// For `queued` only: seconds until the queue ahead drains at the recent rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_wait_seconds: Option<u64>,
    /// Whether the applicant followed their email-verification link (absent
    /// while `queued`: the first email, with the link, is not sent yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Each photo's state (absent when photo upload is off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photos: Option<Vec<PhotoStatus>>,
}

/// One photo's state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PhotoStatus {
    /// `ktp` or `selfie`.
    pub kind: String,
    /// `pending` (not uploaded or not checked yet), `accepted` or `rejected`.
    pub state: String,
    /// For `rejected`: why (`too_large`, `not_an_image`, `unreadable`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For `rejected`: what to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
}

/// The photos of `id`; `None` when photo upload is off or the store failed
/// (the rest of the status still answers).
async fn photo_statuses(state: &AppState, id: &RegistrationId) -> Option<Vec<PhotoStatus>> {
    state.photos.as_ref()?;
    let store = match state.status.store().await {
        Ok(Some(store)) => store,
        Ok(None) => return None,
        Err(error) => {
            tracing::warn!(error = %crate::problem::chain(&error), "photo look-up failed");
            return None;
        }
    };
    let views = match store.photo_states(id).await {
        Ok(views) => views,
        Err(error) => {
            tracing::warn!(error = %crate::problem::chain(&error), "photo look-up failed");
            return None;
        }
    };
    Some(
        PhotoKind::ALL
            .into_iter()
            .map(|kind| match views.iter().find(|v| v.kind == kind) {
                Some(view) => PhotoStatus {
                    kind: kind.as_str().to_owned(),
                    state: view.state.as_str().to_owned(),
                    reason: view.reason.map(|r| r.as_str().to_owned()),
                    advice: view.reason.map(|r| r.advice().to_owned()),
                },
                None => PhotoStatus {
                    kind: kind.as_str().to_owned(),
                    state: PhotoState::Pending.as_str().to_owned(),
                    reason: None,
                    advice: None,
                },
            })
            .collect(),
    )
}

/// Look up a registration's status.
#[utoipa::path(
    get,
    path = "/v1/registrations/{id}",
    params(
        ("id" = String, Path, description = "Registration id from the 202 receipt"),
        ("queue_mark" = Option<u64>, Query, description = "The receipt's `queue_mark`: while queued, the position and wait count only what is still ahead of this registration"),
    ),
    responses(
        (status = 200, description = "Current status", body = StatusBody),
        (status = 404, description = "Unknown id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A `queue_mark` that is not one a receipt gives; in the language of `Accept-Language`", body = Problem, content_type = "application/problem+json",
            headers(("Content-Language" = String, description = "`en` or `id`: the language of `title`, `detail` and every `message`"))),
        (status = 429, description = "Too many look-ups from this client; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Status store unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(name = "status", skip_all, fields(registration.id = %path))]
pub async fn status(
    path: web::Path<String>,
    req: actix_web::HttpRequest,
    language: AnswerLanguage,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (outcome, response) = match queue_mark(req.query_string()) {
        Ok(mark) => look_up(&path, mark, &state).await,
        Err(InvalidMark) => (StatusOutcome::invalid, invalid_mark(language)),
    };
    state.metrics.count_status(outcome);
    response
}

/// A `queue_mark` no receipt gives.
#[derive(Debug, PartialEq, Eq)]
struct InvalidMark;

/// `?queue_mark=` from the receipt: absent, or a whole number a receipt can
/// give (0 to `i64::MAX`, as the API document says); anything else is a 422
/// naming the parameter. Other query parameters are ignored.
fn queue_mark(query: &str) -> Result<Option<u64>, InvalidMark> {
    let Some(value) = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("queue_mark="))
    else {
        return Ok(None);
    };
    match value.parse::<u64>() {
        Ok(mark) if i64::try_from(mark).is_ok() => Ok(Some(mark)),
        _ => Err(InvalidMark),
    }
}

fn invalid_mark(language: AnswerLanguage) -> HttpResponse {
    Problem::translated(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-query",
        Message::new(
            "The query has an invalid parameter",
            "Ada parameter kueri yang tidak valid",
        ),
        Message::new(
            "1 parameter failed validation; see `errors`.",
            "1 parameter tidak lolos pemeriksaan; lihat `errors`.",
        ),
    )
    .with_errors(vec![FieldProblem::new(
        "queue_mark",
        "range",
        format!(
            "must be a whole number from 0 to {}: the receipt's queue_mark",
            i64::MAX
        ),
        format!(
            "Harus bilangan bulat dari 0 sampai {}: queue_mark dari tanda terima",
            i64::MAX
        ),
    )])
    .into_response_in(language)
}

async fn look_up(
    path: &str,
    queue_mark: Option<u64>,
    state: &AppState,
) -> (StatusOutcome, HttpResponse) {
    let unknown = || {
        (
            StatusOutcome::not_found,
            Problem::not_found("No registration with this id.").into_response(),
        )
    };
    let Ok(id) = RegistrationId::parse(path) else {
        return unknown();
    };
    let response = match state.status.status(&id).await {
        Ok(Some(view)) => HttpResponse::Ok().json(StatusBody {
            registration_id: view.registration_id.to_string(),
            status: view.status.as_str().to_owned(),
            reason: view.reason.map(|r| r.as_str().to_owned()),
            updated_at: Some(view.updated_at),
            queue_position_estimate: None,
            estimated_wait_seconds: None,
            email_verified: Some(view.email_verified),
            photos: photo_statuses(state, &id).await,
        }),
        // Not recorded yet: only an id this deployment issued is "queued".
        Ok(None) if id.is_issued_by(&state.identity) => {
            let ahead = state.queue.ahead_of_mark(queue_mark);
            let body = StatusBody {
                registration_id: id.to_string(),
                status: "queued".to_owned(),
                reason: None,
                updated_at: None,
                queue_position_estimate: Some(ahead),
                estimated_wait_seconds: Some(state.queue.seconds_to_drain(ahead)),
                email_verified: None,
                photos: photo_statuses(state, &id).await,
            };
            return (StatusOutcome::queued, HttpResponse::Ok().json(body));
        }
        Ok(None) => return unknown(),
        Err(error) => {
            tracing::warn!(error = %crate::problem::chain(&error), "status look-up failed");
            let problem = Problem::unavailable(
                "status-unavailable",
                "Status look-ups are temporarily unavailable.",
                5,
            );
            return (StatusOutcome::unavailable, problem.into_response());
        }
    };
    (StatusOutcome::found, response)
}

#[cfg(test)]
mod tests {
    use super::{InvalidMark, queue_mark};

    #[test]
    fn a_queue_mark_is_absent_or_a_whole_number_within_i64() {
        assert_eq!(queue_mark(""), Ok(None));
        assert_eq!(queue_mark("other=1"), Ok(None));
        assert_eq!(queue_mark("queue_mark=42"), Ok(Some(42)));
        assert_eq!(
            queue_mark("x=1&queue_mark=9223372036854775807"),
            Ok(Some(9_223_372_036_854_775_807))
        );
        for bad in ["9223372036854775808", "-1", "1.5", "abc", ""] {
            assert_eq!(
                queue_mark(&format!("queue_mark={bad}")),
                Err(InvalidMark),
                "{bad}"
            );
        }
    }
}
