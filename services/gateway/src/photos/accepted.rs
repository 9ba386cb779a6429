//! An accepted photo is final: new upload URLs and confirmations for a kind
//! already accepted are refused (409 `photo-already-accepted`), so a kept
//! photo is never replaced. The worker enforces the same rule for an
//! upload whose URL was issued before the acceptance.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use lonjak_domain::{Message, PhotoKind, PhotoState, RegistrationId};

use crate::language::AnswerLanguage;
use crate::problem::{FieldProblem, Problem, chain};
use crate::state::AppState;

/// Refuses when one of `kinds` of `id` is accepted already.
pub(super) async fn refuse_accepted(
    state: &AppState,
    id: &RegistrationId,
    kinds: &[PhotoKind],
    language: AnswerLanguage,
) -> Result<(), HttpResponse> {
    let unavailable = || {
        Problem::unavailable(
            "photos-unavailable",
            "Photo upload is temporarily unavailable.",
            5,
        )
        .into_response()
    };
    let store = match state.status.store().await {
        Ok(Some(store)) => store,
        // No database configured (tests of the routes alone): nothing to
        // look up; the worker still keeps an accepted photo.
        Ok(None) => return Ok(()),
        Err(error) => {
            tracing::warn!(error = %chain(&error), "photo look-up failed");
            return Err(unavailable());
        }
    };
    let views = match store.photo_states(id).await {
        Ok(views) => views,
        Err(error) => {
            tracing::warn!(error = %chain(&error), "photo look-up failed");
            return Err(unavailable());
        }
    };
    let accepted: Vec<PhotoKind> = kinds
        .iter()
        .copied()
        .filter(|kind| {
            views
                .iter()
                .any(|v| v.kind == *kind && v.state == PhotoState::Accepted)
        })
        .collect();
    if accepted.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = accepted.iter().map(|k| k.as_str()).collect();
    let names = names.join(", ");
    Err(Problem::translated(
        StatusCode::CONFLICT,
        "photo-already-accepted",
        Message::new("This photo was accepted already", "Foto ini sudah diterima"),
        Message::new(
            format!("An accepted photo is kept as it is and cannot be replaced: {names}."),
            format!(
                "Foto yang sudah diterima disimpan apa adanya dan tidak bisa diganti: {names}."
            ),
        ),
    )
    .with_errors(
        accepted
            .iter()
            .map(|kind| {
                FieldProblem::new(
                    "kind",
                    "not_accepted_yet",
                    format!("the {kind} photo is accepted already"),
                    format!("Foto {kind} sudah diterima"),
                )
            })
            .collect(),
    )
    .into_response_in(language))
}
