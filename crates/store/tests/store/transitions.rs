//! Guarded transitions, status look-ups, and registry check records.

use diesel_async::RunQueryDsl;
use lonjak_domain::{RegistrationId, RegistrationStatus, RejectionReason};
use lonjak_store::{Change, StoreError, apply_transitions};

use crate::helpers::{
    HistoryRow, TestStore, count, event, record, registration, rejected, verified,
};

fn scored() -> lonjak_domain::Transition {
    RegistrationStatus::Verified
        .transition(RegistrationStatus::Scored, None)
        .expect("verified → scored")
}

#[tokio::test]
async fn completing_from_the_wrong_status_is_a_conflict_and_writes_nothing() {
    let app = TestStore::spawn().await;
    let reg = registration(5);
    record(&app, reg.clone(), rejected(RejectionReason::InEducation)).await;

    let result = app
        .store
        .complete(&reg.id, scored(), event("registration.scored"))
        .await;

    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    let view = app
        .store
        .registration_status(&reg.id)
        .await
        .expect("look-up")
        .expect("a row");
    assert_eq!(view.status, RegistrationStatus::Rejected);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM status_history").await,
        3
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM outbox").await, 1);
}

#[tokio::test]
async fn completing_the_same_transition_twice_is_a_conflict_the_second_time() {
    let app = TestStore::spawn().await;
    let reg = registration(6);
    record(&app, reg.clone(), verified()).await;
    app.store
        .complete(&reg.id, scored(), event("registration.scored"))
        .await
        .expect("first completion");

    let second = app
        .store
        .complete(&reg.id, scored(), event("registration.scored"))
        .await;

    assert!(matches!(second, Err(StoreError::Conflict)), "{second:?}");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM outbox").await, 2);
}

#[tokio::test]
async fn a_rejection_shows_its_reason_in_the_status_view() {
    let app = TestStore::spawn().await;
    let reg = registration(7);

    record(&app, reg.clone(), rejected(RejectionReason::Under18)).await;

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
    let mut item = crate::helpers::verification(reg.clone(), verified());
    item.social_aid_programme = Some("pkh".into());
    app.store
        .record_verifications(&[item])
        .await
        .expect("verified");

    app.store
        .complete(&reg.id, scored(), event("registration.scored"))
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
async fn a_batch_of_changes_applies_those_still_in_their_from_state_once_each() {
    let app = TestStore::spawn().await;
    let ready = registration(10);
    let elsewhere = registration(11);
    record(&app, ready.clone(), verified()).await;
    record(
        &app,
        elsewhere.clone(),
        rejected(RejectionReason::InEducation),
    )
    .await;
    let changes = vec![
        Change {
            id: ready.id,
            transition: scored(),
            event: Some(event("registration.scored")),
        },
        Change {
            id: elsewhere.id,
            transition: scored(),
            event: Some(event("registration.scored")),
        },
        Change {
            id: ready.id,
            transition: scored(),
            event: Some(event("registration.scored")),
        },
    ];

    let applied = app
        .store
        .transaction(|conn, _| Box::pin(async move { apply_transitions(conn, &changes).await }))
        .await
        .expect("applied");

    assert_eq!(applied, vec![true, false, false]);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM status_history WHERE to_status = 'scored'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM outbox WHERE routing_key = 'registration.scored'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_statement_running_past_the_query_timeout_is_cut_off_and_leaves_no_open_transaction() {
    let app = TestStore::spawn().await;
    let mut config = lonjak_store::StoreConfig::new(app.db.url.clone(), crate::helpers::data_key());
    config.query_timeout = std::time::Duration::from_millis(300);
    let store = lonjak_store::Store::connect(config).await.expect("connect");

    let hung = store
        .transaction(|conn, _| {
            Box::pin(async move {
                diesel::sql_query("SELECT pg_sleep(30)")
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .await;

    assert!(
        matches!(hung, Err(StoreError::Timeout | StoreError::Query(_))),
        "{hung:?}"
    );
    store.ping().await.expect("the pool still serves queries");
    let open = count(
        &app,
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
    )
    .await;
    assert_eq!(open, 0);
}
