//! Every outcome of verification, end to end: submitted event in, state and
//! history in the database, one downstream event out.

use lonjak_domain::events::{Event, RegistrationRejected, RegistrationVerified};
use lonjak_domain::{
    PROGRAMME_UTC_OFFSET, RegistrationRequest, RegistrationStatus, RejectionReason,
};
use time::macros::{format_description, time};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::applicants::{Profile, applicant};
use crate::helpers::{Submission, TestApp, spawn_app};

async fn assert_final(
    app: &TestApp,
    submission: &Submission,
    status: RegistrationStatus,
    reason: Option<RejectionReason>,
) {
    let view = app.final_status(&submission.id).await;
    assert_eq!(view.status, status);
    assert_eq!(view.reason, reason);
    let (rows, history, outbox) = app.row_counts(&submission.id).await;
    assert_eq!(rows, 1);
    assert_eq!(
        history,
        vec![
            "->queued".to_owned(),
            "queued>verifying".to_owned(),
            format!("verifying>{}", status.as_str()),
        ]
    );
    assert_eq!(outbox, 1);
    let events = app.downstream_events().await;
    let mine = events
        .get(&submission.id.to_string())
        .expect("a downstream event");
    let expected = if status == RegistrationStatus::Verified {
        RegistrationVerified::ROUTING_KEY
    } else {
        RegistrationRejected::ROUTING_KEY
    };
    assert_eq!(mine.len(), 1, "exactly one downstream event");
    assert_eq!(mine[0].0, expected);
}

async fn assert_rejected(request: RegistrationRequest, reason: RejectionReason) -> TestApp {
    let app = spawn_app().await;
    let submission = app.submission_at(&request, OffsetDateTime::now_utc());
    app.publish(&submission).await;
    assert_final(
        &app,
        &submission,
        RegistrationStatus::Rejected,
        Some(reason),
    )
    .await;
    app
}

#[tokio::test]
async fn an_applicant_the_registries_confirm_is_verified_and_announced_downstream() {
    let app = spawn_app().await;
    // Chose English at intake: recorded for the notifier.
    let mut request = applicant(Profile::Clean);
    request.language = Some("en".to_owned());
    let submission = app.submission_at(&request, OffsetDateTime::now_utc());

    app.publish(&submission).await;

    assert_final(&app, &submission, RegistrationStatus::Verified, None).await;
    assert_eq!(app.processed("verified"), 1);
    let contacts = app
        .store
        .contacts(&[submission.id])
        .await
        .expect("contacts");
    assert_eq!(
        contacts[&submission.id].language,
        lonjak_domain::Language::En
    );
    app.stop().await;
}

#[tokio::test]
async fn a_nik_unknown_to_dukcapil_is_rejected_as_identity_not_found() {
    let app = assert_rejected(
        applicant(Profile::NotFound),
        RejectionReason::IdentityNotFound,
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_name_dukcapil_does_not_match_is_rejected_as_identity_mismatch() {
    let app = assert_rejected(
        applicant(Profile::NameMismatch),
        RejectionReason::IdentityMismatch,
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn an_ineligible_occupation_on_record_is_rejected() {
    let app = assert_rejected(
        applicant(Profile::IneligibleOccupation),
        RejectionReason::IneligibleOccupation,
    )
    .await;
    only_dukcapil_was_asked(&app);
    app.stop().await;
}

#[tokio::test]
async fn an_applicant_dapodik_lists_as_enrolled_is_rejected_as_in_education() {
    let app = assert_rejected(
        applicant(Profile::EnrolledInEducation),
        RejectionReason::InEducation,
    )
    .await;
    app.stop().await;
}

/// Only Dukcapil was asked: the identity check comes first, and its answer
/// alone decided.
fn only_dukcapil_was_asked(app: &crate::helpers::TestApp) {
    let stats = app.sim.stats();
    assert_eq!(stats["dukcapil"].requests, 1, "{stats:?}");
    assert_eq!(stats["dapodik"].requests, 0, "{stats:?}");
    assert_eq!(stats["dtks"].requests, 0, "{stats:?}");
}

#[tokio::test]
async fn education_is_what_dapodik_says_not_what_the_applicant_declared() {
    let mut request = applicant(Profile::Clean);
    request.in_education = Some(true);
    let app = spawn_app().await;
    let submission = app.submission_at(&request, OffsetDateTime::now_utc());

    app.publish(&submission).await;

    assert_final(&app, &submission, RegistrationStatus::Verified, None).await;
    app.stop().await;
}

#[tokio::test]
async fn age_is_left_to_eligibility_on_the_waves_closing_day() {
    let request = applicant(Profile::Clean);
    let born = Date::parse(
        request.birth_date.as_deref().expect("a birth date"),
        format_description!("[year]-[month]-[day]"),
    )
    .expect("an ISO birth date");
    // Submitted on the applicant's tenth birthday (sample days are 1 to 28).
    let tenth_birthday = born.replace_year(born.year() + 10).expect("a valid date");
    let submitted_at =
        PrimitiveDateTime::new(tenth_birthday, time!(12:00)).assume_offset(PROGRAMME_UTC_OFFSET);
    let app = spawn_app().await;
    let submission = app.submission_at(&request, submitted_at);

    app.publish(&submission).await;

    // Verified: the eligibility worker judges age on the wave's closing day.
    assert_final(&app, &submission, RegistrationStatus::Verified, None).await;
    app.stop().await;
}

#[tokio::test]
async fn a_malformed_message_is_dead_lettered_with_its_reason() {
    let app = spawn_app().await;
    let mut request = applicant(Profile::Clean);
    let mut submission = app.submission_at(&request, OffsetDateTime::now_utc());
    request.email = Some("not an email".to_owned());
    let payload = &submission.envelope.payload;
    submission.envelope.payload = lonjak_seal::seal_request(
        &crate::helpers::seal_public_key(),
        submission.id,
        payload.wave,
        payload.submitted_at,
        &request,
    )
    .expect("sealed");

    app.publish(&submission).await;

    app.eventually("the message is dead-lettered", async || {
        app.processed("dead_lettered") == 1
    })
    .await;
    let letters = lonjak_bus::dlq::list(&app.bus, lonjak_bus::WorkQueue::Verifier, 10)
        .await
        .expect("list dead letters");
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason.as_deref(), Some("invalid applicant"));
    let (rows, _, _) = app.row_counts(&submission.id).await;
    assert_eq!(rows, 0);
    app.stop().await;
}
