//! One registration: the support desk's look-up (agents and operators), an
//! operator's explanation, and re-joining the next wave.

use actix_web::{HttpResponse, web};
use lonjak_ops::wire::{ExplanationBody, LookupBody, ProblemBody, RejoinBody};
use lonjak_store::Rejoin;

use super::id_from_path;
use crate::auth::{Operator, Staff};
use crate::problem::AdminError;
use crate::state::AdminState;

fn no_such(id: impl std::fmt::Display) -> AdminError {
    AdminError::NotFound {
        field: "registration_id",
        detail: format!("No registration {id}."),
    }
}

/// `GET /v1/registrations/{id}`: state and history, no personal field.
#[utoipa::path(
    get,
    path = "/v1/registrations/{id}",
    params(("id" = String, Path, description = "Registration id, 32 lowercase hex digits")),
    responses(
        (status = 200, description = "State and history, no personal field (agents and operators)", body = LookupBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such registration", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a registration id", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn lookup(
    Staff(caller): Staff,
    path: web::Path<String>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let id = id_from_path(&path)?;
    let (Some(status), Some(history)) = (
        state.store.registration_status(&id).await?,
        state.store.registration_history(&id).await?,
    ) else {
        return Err(no_such(id));
    };
    // Every look-up is in the access log (this one shows no personal field,
    // so it asks for no reason).
    let desk = crate::access::Desk::new(&state, &caller, "status_lookup");
    let entry = lonjak_store::AccessEntry {
        registration_ids: vec![id.to_string()],
        ..desk.entry("ok")
    };
    desk.record(&entry).await?;
    Ok(HttpResponse::Ok().json(LookupBody::new(&status, &history)))
}

/// `GET /v1/registrations/{id}/explanation`: score, parts, rank, decision.
#[utoipa::path(
    get,
    path = "/v1/registrations/{id}/explanation",
    params(("id" = String, Path, description = "Registration id, 32 lowercase hex digits")),
    responses(
        (status = 200, description = "Score, parts, rank, decision", body = ExplanationBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such registration", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a registration id", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn explanation(
    _: Operator,
    path: web::Path<String>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let id = id_from_path(&path)?;
    match state.store.explain(&id).await? {
        Some(e) => Ok(HttpResponse::Ok().json(ExplanationBody::from(&e))),
        None => Err(no_such(id)),
    }
}

/// `POST /v1/registrations/{id}/rejoin`: a waitlisted applicant into the
/// next open wave, once (409 naming the rule otherwise).
#[utoipa::path(
    post,
    path = "/v1/registrations/{id}/rejoin",
    params(("id" = String, Path, description = "Registration id, 32 lowercase hex digits")),
    responses(
        (status = 200, description = "Moved into the next open wave", body = RejoinBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The role does not allow it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such registration", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Not waitlisted, already re-joined, no open wave, or personal data erased", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Not a registration id", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn rejoin(
    Operator(caller): Operator,
    path: web::Path<String>,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let id = id_from_path(&path)?;
    let conflict = |field, rule, detail: String| AdminError::Conflict {
        slug: "cannot-rejoin",
        field,
        rule,
        detail,
    };
    match state.store.rejoin_next_wave(&id).await? {
        Rejoin::Rejoined { from, to } => {
            tracing::info!(registration.id = %id, caller.name = %caller.name, from, to, "re-joined");
            Ok(HttpResponse::Ok().json(RejoinBody {
                registration_id: id,
                from,
                to,
            }))
        }
        Rejoin::NotFound => Err(no_such(id)),
        Rejoin::NotWaitlisted(status) => Err(conflict(
            "registration_id",
            "waitlisted",
            format!("Only a waitlisted applicant may re-join; this one is {status}."),
        )),
        Rejoin::AlreadyRejoined => Err(conflict(
            "registration_id",
            "once",
            "This applicant has re-joined once already.".to_owned(),
        )),
        Rejoin::NoOpenWave => Err(conflict(
            "wave",
            "open",
            "No wave after theirs is open now.".to_owned(),
        )),
        Rejoin::AlreadyInWave(wave) => Err(conflict(
            "wave",
            "unique",
            format!("They registered in wave {wave} themselves."),
        )),
        Rejoin::Erased => Err(conflict(
            "registration_id",
            "retained",
            "This applicant's personal data was erased (retention); they may register anew."
                .to_owned(),
        )),
    }
}
