//! The waiting room's check on `POST /v1/registrations`: for a wave that
//! runs a waiting room, the request must carry an admitted ticket of that
//! wave, which is then bound to the registration (one ticket, one
//! registration; a retried submission of the same registration passes).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use lonjak_domain::{RegistrationId, Wave};
use lonjak_store::UseRefused;

use super::WaitRoom;
use crate::intake::Refusal;
use crate::metrics::Outcome;
use crate::problem::Problem;

/// The request header that carries the ticket.
pub const TICKET_HEADER: &str = "waitroom-ticket";

/// Passes requests for waves without a waiting room; for the others, uses
/// the ticket or answers why not.
pub async fn gate(req: &HttpRequest, wave: Wave, id: &RegistrationId) -> Result<(), Refusal> {
    let Some(room) = req.app_data::<web::Data<WaitRoom>>() else {
        return Ok(());
    };
    if !room.guards(wave) {
        return Ok(());
    }
    let refuse = |problem: Problem| (Outcome::ticket_refused, problem);
    let Some(token) = req
        .headers()
        .get(TICKET_HEADER)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(refuse(problem(
            StatusCode::FORBIDDEN,
            "ticket-required",
            "Wave {wave} has a waiting room",
            format!(
                "Join the queue (POST /v1/waves/{wave}/queue) and send the admitted ticket \
                 in the `Waitroom-Ticket` header; nothing was stored."
            ),
            wave,
        )));
    };
    let invalid = || {
        refuse(problem(
            StatusCode::FORBIDDEN,
            "invalid-ticket",
            "The ticket is not valid for wave {wave}",
            "Join the queue of this wave to get a ticket; nothing was stored.".to_owned(),
            wave,
        ))
    };
    let Ok(ticket) = room.key.verify(wave, token.trim()) else {
        return Err(invalid());
    };
    let unavailable = || {
        (
            Outcome::ticket_refused,
            Problem::unavailable(
                "waitroom-unavailable",
                "The waiting room cannot check tickets right now; nothing was stored.",
                room.settings.poll_secs,
            ),
        )
    };
    let Some(store) = &room.store else {
        return Err(unavailable());
    };
    let Ok(store) = store.get().await else {
        return Err(unavailable());
    };
    match store
        .waitroom_use(wave, ticket, id, room.settings.permit())
        .await
    {
        Ok(Ok(())) => Ok(()),
        Ok(Err(UseRefused::Unknown)) => Err(invalid()),
        Ok(Err(UseRefused::NotYet)) => Err(refuse(
            problem(
                StatusCode::FORBIDDEN,
                "not-your-turn",
                "It is not this ticket's turn yet",
                "Keep the page open: the ticket's status says when it is admitted; \
                 nothing was stored."
                    .to_owned(),
                wave,
            )
            .retry_after(room.settings.poll_secs),
        )),
        Ok(Err(UseRefused::Expired)) => Err(refuse(problem(
            StatusCode::FORBIDDEN,
            "permission-expired",
            "This ticket's time to submit has run out",
            "Join the queue again to get a new place at its end; nothing was stored.".to_owned(),
            wave,
        ))),
        Ok(Err(UseRefused::UsedForAnother)) => Err(refuse(problem(
            StatusCode::CONFLICT,
            "ticket-used",
            "This ticket was used for another registration",
            "One ticket admits one registration; nothing was stored.".to_owned(),
            wave,
        ))),
        Err(error) => {
            tracing::warn!(error = %crate::problem::chain(&error), "ticket use failed");
            Err(unavailable())
        }
    }
}

fn problem(status: StatusCode, slug: &str, title: &str, detail: String, wave: Wave) -> Problem {
    Problem::new(
        status,
        slug,
        &title.replace("{wave}", &wave.to_string()),
        detail,
    )
}
