//! Who holds a registration's place: the first submission Dukcapil confirms.
//! Someone who knows another person's NIK cannot lock them out, and a later
//! submission with other details never decides the first one's outcome.

use lonjak_domain::{RegistrationStatus, RejectionReason};
use time::OffsetDateTime;

use crate::applicants::{Profile, applicant};
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_submission_dukcapil_does_not_confirm_does_not_lock_the_nik_owner_out() {
    let app = spawn_app().await;
    let owner = applicant(Profile::Clean);
    let mut impostor = owner.clone();
    impostor.full_name = Some("Orang Lain Sekali".to_owned());
    impostor.in_education = Some(true);
    // Dukcapil's record does not match the impostor's name.
    app.sim
        .reconfigure(serde_json::json!({"fractions": {"name_mismatch": 1.0}}))
        .expect("reconfigure");
    let first = app.submission_at(&impostor, OffsetDateTime::now_utc());
    app.publish(&first).await;
    let view = app.final_status(&first.id).await;
    assert_eq!(view.reason, Some(RejectionReason::IdentityMismatch));

    // The owner's own name matches the record.
    app.sim
        .reconfigure(serde_json::json!({"fractions": {"name_mismatch": 0.0}}))
        .expect("reconfigure");
    let second = app.submission_at(&owner, OffsetDateTime::now_utc());
    assert_eq!(second.id, first.id, "same NIK and wave, same registration");
    app.publish(&second).await;

    app.eventually("the owner's submission is verified", async || {
        app.store
            .registration_status(&second.id)
            .await
            .expect("status")
            .is_some_and(|view| view.status == RegistrationStatus::Verified)
    })
    .await;
    let (rows, history, outbox) = app.row_counts(&second.id).await;
    assert_eq!(rows, 1);
    assert_eq!(
        history,
        [
            "->queued",
            "queued>verifying",
            "verifying>rejected",
            "rejected>verifying",
            "verifying>verified"
        ],
        "the owner's submission reopened the record"
    );
    assert_eq!(outbox, 2, "one event per decision");
    app.stop().await;
}

#[tokio::test]
async fn a_later_submission_with_other_details_never_decides_the_first_ones_outcome() {
    let app = spawn_app().await;
    let first_request = applicant(Profile::Clean);
    let first = app.submission_at(&first_request, OffsetDateTime::now_utc());
    app.publish(&first).await;
    let view = app.final_status(&first.id).await;
    assert_eq!(view.status, RegistrationStatus::Verified);
    let calls_before: u64 = app.sim.stats().values().map(|s| s.requests).sum();

    // Same person, now declaring education and another email: the first
    // submission holds the place; this one is a duplicate, and it costs the
    // ministries nothing.
    let mut later = first_request.clone();
    later.in_education = Some(true);
    later.email = Some("lain@example.id".to_owned());
    app.publish(&app.submission_at(&later, OffsetDateTime::now_utc()))
        .await;

    app.eventually("the later submission is settled", async || {
        app.processed("duplicate") == 1
    })
    .await;
    let view = app.final_status(&first.id).await;
    assert_eq!(view.status, RegistrationStatus::Verified);
    assert_eq!(view.reason, None);
    let calls_after: u64 = app.sim.stats().values().map(|s| s.requests).sum();
    assert_eq!(calls_after, calls_before);
    let (_, history, outbox) = app.row_counts(&first.id).await;
    assert_eq!((history.len(), outbox), (3, 1));
    app.stop().await;
}
