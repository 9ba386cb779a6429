//! `POST /v1/waves/{wave}/challenge` (what to solve before joining) and the
//! check of the answer on joining. The provider is `WaitRoom::challenge`.

use actix_web::http::{StatusCode, header};
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, web};

use super::WaitRoom;
use super::challenge::{Answer, CHALLENGE_HEADER, Challenge, ChallengeError, SOLUTION_HEADER};
use super::metrics::TicketOutcome;
use super::routes::{client_key, guarded_wave};
use crate::admission::{AdmissionState, status_limit_middleware};
use crate::fallback::method_not_allowed;
use crate::problem::Problem;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/waves/{wave}/challenge")
            .wrap(from_fn(status_limit_middleware))
            .route(web::post().to(issue))
            .default_service(method_not_allowed("POST")),
    );
}

/// What to solve before joining a wave's queue.
#[utoipa::path(
    post,
    path = "/v1/waves/{wave}/challenge",
    params(("wave" = u32, Path, description = "Wave number")),
    responses(
        (status = 200, description = "Solve this, then join with `Waitroom-Challenge` and `Waitroom-Solution`", body = Challenge),
        (status = 404, description = "The wave has no waiting room, or joining it needs no challenge", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn issue(
    req: HttpRequest,
    path: web::Path<String>,
    room: web::Data<WaitRoom>,
    admission: web::Data<AdmissionState>,
) -> HttpResponse {
    let Some(wave) = guarded_wave(&room, &path) else {
        room.metrics.join(TicketOutcome::not_waitroom_wave);
        return Problem::not_found("This wave has no waiting room: register directly.")
            .into_response();
    };
    let client = room
        .key
        .client_hash(wave, &client_key(&req, &room, &admission));
    match room.challenge.issue(wave, &client) {
        Some(challenge) => {
            room.metrics.join(TicketOutcome::challenge_issued);
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(challenge)
        }
        None => Problem::not_found("Joining this wave needs no challenge: join directly.")
            .into_response(),
    }
}

/// The join request's answer, checked; the refusal to send otherwise.
pub async fn check(
    req: &HttpRequest,
    room: &WaitRoom,
    wave: lonjak_domain::Wave,
    client: &[u8; 32],
) -> Result<(), HttpResponse> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.trim().is_empty())
    };
    let answer = match (header(CHALLENGE_HEADER), header(SOLUTION_HEADER)) {
        (Some(challenge), Some(solution)) => Some(Answer {
            challenge,
            solution,
        }),
        _ => None,
    };
    let Err(error) = room.challenge.verify(wave, client, answer).await else {
        return Ok(());
    };
    let how = format!(
        "Ask POST /v1/waves/{wave}/challenge, solve it, and join with the \
         `Waitroom-Challenge` and `Waitroom-Solution` headers."
    );
    let (outcome, slug, title, detail) = match error {
        ChallengeError::Missing => (
            TicketOutcome::challenge_missing,
            "challenge-required",
            "Joining this queue needs a solved challenge",
            how,
        ),
        ChallengeError::Invalid => (
            TicketOutcome::challenge_invalid,
            "challenge-invalid",
            "The challenge was not issued to this client for this wave",
            how,
        ),
        ChallengeError::Expired => (
            TicketOutcome::challenge_expired,
            "challenge-expired",
            "The challenge has expired",
            format!("Solve a new one. {how}"),
        ),
        ChallengeError::Wrong => (
            TicketOutcome::challenge_wrong,
            "challenge-failed",
            "The solution does not solve the challenge",
            format!(
                "`Waitroom-Solution` must be a decimal nonce whose hash has the required \
                 zero bits. {how}"
            ),
        ),
    };
    room.metrics.join(outcome);
    Err(Problem::new(StatusCode::FORBIDDEN, slug, title, detail).into_response())
}
