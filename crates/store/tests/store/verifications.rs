//! Recording a batch of decided verifications: one row per registration,
//! its history, checks and event; redeliveries and duplicates change
//! nothing; only an identity rejection can be reopened.

use diesel_async::RunQueryDsl;
use lonjak_domain::{RegistrationStatus, RejectionReason};
use lonjak_store::Recorded;

use crate::helpers::{
    HistoryRow, TestStore, count, record, registration, rejected, squatter, verification, verified,
};

async fn history(app: &TestStore) -> Vec<HistoryRow> {
    let mut conn = app.raw().await;
    diesel::sql_query("SELECT from_status, to_status, reason FROM status_history ORDER BY id")
        .load(&mut conn)
        .await
        .expect("history")
}

fn step(from: Option<&str>, to: &str, reason: Option<&str>) -> HistoryRow {
    HistoryRow {
        from_status: from.map(str::to_owned),
        to_status: to.to_owned(),
        reason: reason.map(str::to_owned),
    }
}

#[tokio::test]
async fn a_decided_verification_is_stored_with_its_history_checks_and_event() {
    let app = TestStore::spawn().await;
    let reg = registration(1);

    let recorded = record(&app, reg.clone(), verified()).await;

    assert_eq!(recorded, Recorded::Inserted);
    let view = app
        .store
        .registration_status(&reg.id)
        .await
        .expect("look-up")
        .expect("a row");
    assert_eq!(view.status, RegistrationStatus::Verified);
    assert_eq!(
        history(&app).await,
        vec![
            step(None, "queued", None),
            step(Some("queued"), "verifying", None),
            step(Some("verifying"), "verified", None),
        ]
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM verification_checks").await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM status_history h JOIN registrations r ON r.id = h.registration_id \
             WHERE h.to_status = 'queued' AND h.at = r.submitted_at"
        )
        .await,
        1,
        "the queued entry is dated when the gateway accepted the submission"
    );
}

#[tokio::test]
async fn a_batch_stores_every_registration_in_it() {
    let app = TestStore::spawn().await;
    let batch: Vec<_> = (100..150)
        .map(|i| verification(registration(i), verified()))
        .collect();

    let recorded = app
        .store
        .record_verifications(&batch)
        .await
        .expect("recorded");

    assert!(recorded.iter().all(|r| *r == Recorded::Inserted));
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM registrations").await,
        50
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM status_history").await,
        150
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM outbox").await, 50);
}

#[tokio::test]
async fn recording_the_same_registration_again_changes_nothing() {
    let app = TestStore::spawn().await;
    let reg = registration(2);
    record(&app, reg.clone(), verified()).await;

    let again = record(&app, reg.clone(), verified()).await;
    let other_outcome = record(&app, reg, rejected(RejectionReason::InEducation)).await;

    assert_eq!(again, Recorded::AlreadyThere);
    assert_eq!(other_outcome, Recorded::AlreadyThere);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM status_history").await,
        3
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM outbox").await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM registrations WHERE status = 'verified'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_submission_whose_identity_failed_holds_no_place_against_the_nik_owner() {
    let app = TestStore::spawn().await;
    let owner = registration(3);
    let first = record(
        &app,
        squatter(3),
        rejected(RejectionReason::IdentityMismatch),
    )
    .await;

    let second = record(&app, owner.clone(), verified()).await;

    assert_eq!(first, Recorded::Inserted);
    assert_eq!(second, Recorded::Reopened);
    let view = app
        .store
        .registration_status(&owner.id)
        .await
        .expect("look-up")
        .expect("a row");
    assert_eq!(view.status, RegistrationStatus::Verified);
    assert_eq!(view.reason, None);
    let contacts = app.store.contacts(&[owner.id]).await.expect("contacts");
    assert_eq!(
        contacts[&owner.id].full_name, owner.full_name,
        "the owner's data replaced the failed submission's"
    );
    assert_eq!(
        history(&app).await[3..],
        [
            step(Some("rejected"), "verifying", None),
            step(Some("verifying"), "verified", None),
        ]
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM outbox").await, 2);
}

#[tokio::test]
async fn the_same_failed_submission_again_does_not_reopen_its_rejection() {
    let app = TestStore::spawn().await;
    record(
        &app,
        squatter(4),
        rejected(RejectionReason::IdentityNotFound),
    )
    .await;

    let again = record(
        &app,
        squatter(4),
        rejected(RejectionReason::IdentityNotFound),
    )
    .await;

    assert_eq!(again, Recorded::AlreadyThere);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM outbox").await, 1);
}

#[tokio::test]
async fn a_record_that_passed_the_identity_check_is_never_replaced() {
    let app = TestStore::spawn().await;
    let owner = registration(5);
    record(&app, owner.clone(), rejected(RejectionReason::InEducation)).await;

    let other = record(&app, squatter(5), verified()).await;

    assert_eq!(other, Recorded::AlreadyThere);
    let view = app
        .store
        .registration_status(&owner.id)
        .await
        .expect("look-up")
        .expect("a row");
    assert_eq!(view.reason, Some(RejectionReason::InEducation));
}

#[tokio::test]
async fn two_items_for_one_registration_in_one_batch_record_the_first() {
    let app = TestStore::spawn().await;
    let batch = [
        verification(registration(6), verified()),
        verification(registration(6), rejected(RejectionReason::InEducation)),
    ];

    let recorded = app
        .store
        .record_verifications(&batch)
        .await
        .expect("recorded");

    assert_eq!(recorded, vec![Recorded::Inserted, Recorded::AlreadyThere]);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM outbox").await, 1);
}

#[tokio::test]
async fn concurrent_batches_for_one_registration_store_it_exactly_once() {
    let app = TestStore::spawn().await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = app.store.clone();
            tokio::spawn(async move {
                store
                    .record_verifications(&[verification(registration(7), verified())])
                    .await
                    .expect("recorded")[0]
            })
        })
        .collect();

    let mut inserted = 0;
    for task in tasks {
        if task.await.expect("task") == Recorded::Inserted {
            inserted += 1;
        }
    }

    assert_eq!(inserted, 1);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM status_history").await,
        3
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM outbox").await, 1);
}

#[tokio::test]
async fn stored_states_report_status_reason_and_what_was_submitted() {
    let app = TestStore::spawn().await;
    let reg = registration(8);
    let absent = registration(9);
    record(
        &app,
        reg.clone(),
        rejected(RejectionReason::IdentityMismatch),
    )
    .await;

    let states = app
        .store
        .stored_states(&[reg.id, absent.id])
        .await
        .expect("states");

    let state = &states[&reg.id];
    assert_eq!(state.status, RegistrationStatus::Rejected);
    assert_eq!(state.reason, Some(RejectionReason::IdentityMismatch));
    assert_eq!(state.submission_hash, Some(reg.submission_hash));
    assert!(!state.is_reopened_by(&reg.submission_hash));
    assert!(state.is_reopened_by(&squatter(8).submission_hash));
    assert!(!states.contains_key(&absent.id));
}
