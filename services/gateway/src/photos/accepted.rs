//! An accepted photo is final: new upload URLs and confirmations for a kind
//! already accepted are refused (409 `photo-already-accepted`), so a kept
//! photo is never replaced. The worker enforces the same rule for an
//! upload whose URL was issued before the acceptance.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use lonjak_domain::{PhotoKind, PhotoState, RegistrationId};

use crate::problem::{FieldProblem, Problem, chain};
use crate::state::AppState;

/// Refuses when one of `kinds` of `id` is accepted already.
pub(super) async fn refuse_accepted(
    state: &AppState,
    id: &RegistrationId,
    kinds: &[PhotoKind],
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
    Err(Problem::new(
        StatusCode::CONFLICT,
        "photo-already-accepted",
        "This photo was accepted already",
        format!(
            "An accepted photo is kept as it is and cannot be replaced: {}.",
            names.join(", ")
        ),
    )
    .with_errors(
        accepted
            .iter()
            .map(|kind| FieldProblem {
                field: "kind".to_owned(),
                rule: "not_accepted_yet".to_owned(),
                message: format!("the {kind} photo is accepted already"),
            })
            .collect(),
    )
    .into_response())
}
