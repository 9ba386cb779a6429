//! Guarded transitions, status look-ups, and registry check records.

use diesel_async::RunQueryDsl;
use lonjak_domain::{RegistrationId, RegistrationStatus, RejectionReason, Transition};
use lonjak_store::{CompleteExtra, StoreError};

use crate::helpers::{HistoryRow, TestStore, count, event, registration, rejected, verified};

#[tokio::test]
async fn completing_from_the_wrong_status_is_a_conflict_and_writes_nothing() {
    let app = TestStore::spawn().await;
    let reg = registration(5);
    app.store.begin_verification(&reg).await.expect("begin");
    let scored = Transition {
        from: RegistrationStatus::Verified,
        to: RegistrationStatus::Scored,
        reason: None,
    };

    let result = app
        .store
        .complete(
            &reg.id,
            scored,
            CompleteExtra::default(),
            event("registration.scored"),
        )
        .await;

    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    let view = app
        .store
        .registration_status(&reg.id)
        .await
        .expect("look-up")
        .expect("a row");
    assert_eq!(view.status, RegistrationStatus::Verifying);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM status_history").await,
        2
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM outbox").await, 0);
}

#[tokio::test]
async fn completing_the_same_transition_twice_is_a_conflict_the_second_time() {
    let app = TestStore::spawn().await;
    let reg = registration(6);
    app.store.begin_verification(&reg).await.expect("begin");
    app.store
        .complete(
            &reg.id,
            verified(),
            CompleteExtra::default(),
            event("registration.verified"),
        )
        .await
        .expect("first completion");

    let second = app
        .store
        .complete(
            &reg.id,
            verified(),
            CompleteExtra::default(),
            event("registration.verified"),
        )
        .await;

    assert!(matches!(second, Err(StoreError::Conflict)), "{second:?}");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM outbox").await, 1);
}

#[tokio::test]
async fn a_rejection_shows_its_reason_in_the_status_view() {
    let app = TestStore::spawn().await;
    let reg = registration(7);
    app.store.begin_verification(&reg).await.expect("begin");

    app.store
        .complete(
            &reg.id,
            rejected(RejectionReason::Under18),
            CompleteExtra::default(),
            event("registration.rejected"),
        )
        .await
        .expect("complete");

    let view = app
        .store
        .registration_status(&reg.id)
        .await
        .expect("look-up")
        .expect("a row");
    assert_eq!(view.status, RegistrationStatus::Rejected);
    assert_eq!(view.reason, Some(RejectionReason::Under18));
    let mut conn = app.raw().await;
    let last: HistoryRow = diesel::sql_query(
        "SELECT from_status, to_status, reason FROM status_history ORDER BY id DESC LIMIT 1",
    )
    .get_result(&mut conn)
    .await
    .expect("history");
    assert_eq!(
        last,
        HistoryRow {
            from_status: Some("verifying".into()),
            to_status: "rejected".into(),
            reason: Some("under_18".into())
        }
    );
}

#[tokio::test]
async fn an_unknown_registration_has_no_status() {
    let app = TestStore::spawn().await;

    let view = app
        .store
        .registration_status(&RegistrationId::from_bytes([1; 16]))
        .await
        .expect("look-up");

    assert_eq!(view, None);
}

#[tokio::test]
async fn the_social_aid_programme_survives_later_transitions() {
    let app = TestStore::spawn().await;
    let reg = registration(8);
    app.store.begin_verification(&reg).await.expect("begin");
    app.store
        .complete(
            &reg.id,
            verified(),
            CompleteExtra {
                social_aid_programme: Some("pkh".into()),
            },
            event("registration.verified"),
        )
        .await
        .expect("verified");

    let scored = RegistrationStatus::Verified
        .transition(RegistrationStatus::Scored, None)
        .expect("verified → scored");
    app.store
        .complete(
            &reg.id,
            scored,
            CompleteExtra::default(),
            event("registration.scored"),
        )
        .await
        .expect("scored");

    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM registrations WHERE social_aid_programme = 'pkh' AND status = 'scored'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn every_registry_answer_is_recorded() {
    let app = TestStore::spawn().await;
    let reg = registration(9);
    app.store.begin_verification(&reg).await.expect("begin");

    app.store
        .record_check(
            &reg.id,
            "dukcapil",
            "found",
            serde_json::json!({"attempt": 1}),
        )
        .await
        .expect("dukcapil");
    app.store
        .record_check(&reg.id, "dtks", "not_listed", serde_json::json!({}))
        .await
        .expect("dtks");

    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM verification_checks WHERE detail->>'attempt' = '1' AND registry = 'dukcapil'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM verification_checks").await,
        2
    );
}
