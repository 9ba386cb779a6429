//! The verifier's first step: idempotent insert and start of verification.

use lonjak_domain::testing::identity_key;
use lonjak_domain::{NikHash, RegistrationId, RegistrationStatus};
use lonjak_store::{BeginOutcome, CompleteExtra};

use crate::helpers::{HistoryRow, TestStore, count, event, registration, verified};
use diesel_async::RunQueryDsl;

#[tokio::test]
async fn a_new_registration_starts_verifying_with_its_history() {
    let app = TestStore::spawn().await;
    let reg = registration(1);

    let outcome = app.store.begin_verification(&reg).await.expect("begin");

    assert_eq!(outcome, BeginOutcome::Started);
    let view = app
        .store
        .registration_status(&reg.id)
        .await
        .expect("look-up")
        .expect("a row");
    assert_eq!(view.registration_id, reg.id);
    assert_eq!(view.status, RegistrationStatus::Verifying);
    assert_eq!(view.reason, None);
    let mut conn = app.raw().await;
    let history: Vec<HistoryRow> =
        diesel::sql_query("SELECT from_status, to_status, reason FROM status_history ORDER BY id")
            .load(&mut conn)
            .await
            .expect("history");
    assert_eq!(
        history,
        vec![
            HistoryRow {
                from_status: None,
                to_status: "queued".into(),
                reason: None
            },
            HistoryRow {
                from_status: Some("queued".into()),
                to_status: "verifying".into(),
                reason: None
            },
        ]
    );
}

#[tokio::test]
async fn beginning_twice_keeps_one_row_and_resumes_the_second_time() {
    let app = TestStore::spawn().await;
    let reg = registration(2);

    let first = app.store.begin_verification(&reg).await.expect("first");
    let second = app.store.begin_verification(&reg).await.expect("second");

    assert_eq!(first, BeginOutcome::Started);
    assert_eq!(second, BeginOutcome::Resumed);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM registrations").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM status_history").await,
        2
    );
}

#[tokio::test]
async fn beginning_again_after_completion_reports_already_done() {
    let app = TestStore::spawn().await;
    let reg = registration(3);
    app.store.begin_verification(&reg).await.expect("begin");
    app.store
        .complete(
            &reg.id,
            verified(),
            CompleteExtra::default(),
            event("registration.verified"),
        )
        .await
        .expect("complete");

    let again = app.store.begin_verification(&reg).await.expect("again");

    assert_eq!(
        again,
        BeginOutcome::AlreadyDone {
            status: RegistrationStatus::Verified
        }
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM registrations").await,
        1
    );
}

#[tokio::test]
async fn the_same_person_and_wave_under_another_id_gets_no_second_row() {
    let app = TestStore::spawn().await;
    let first = registration(4);
    let mut other_id = first.clone();
    other_id.id = RegistrationId::from_bytes([0xee; 16]);
    app.store.begin_verification(&first).await.expect("first");

    let outcome = app
        .store
        .begin_verification(&other_id)
        .await
        .expect("second");

    assert_eq!(
        outcome,
        BeginOutcome::AlreadyDone {
            status: RegistrationStatus::Verifying
        }
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM registrations").await,
        1
    );
    assert_eq!(
        app.store
            .registration_status(&other_id.id)
            .await
            .expect("look-up"),
        None
    );
}

#[tokio::test]
async fn distinct_applicants_get_distinct_rows_keyed_by_their_nik_hash() {
    let app = TestStore::spawn().await;
    let a = registration(10);
    let b = registration(11);

    app.store.begin_verification(&a).await.expect("a");
    app.store.begin_verification(&b).await.expect("b");

    assert_ne!(a.nik_hash, b.nik_hash);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM registrations").await,
        2
    );
    let expected = NikHash::derive(
        &identity_key(),
        lonjak_domain::testing::sample_registration(10, lonjak_domain::testing::SAMPLE_TODAY).nik(),
    );
    assert_eq!(a.nik_hash, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_of_one_registration_start_it_exactly_once() {
    let app = TestStore::spawn().await;
    let reg = registration(12);

    let attempts: Vec<_> = (0..4)
        .map(|_| {
            let store = app.store.clone();
            let reg = reg.clone();
            tokio::spawn(async move { store.begin_verification(&reg).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for attempt in attempts {
        outcomes.push(attempt.await.expect("task").expect("begin"));
    }

    let started = outcomes
        .iter()
        .filter(|o| **o == BeginOutcome::Started)
        .count();
    let resumed = outcomes
        .iter()
        .filter(|o| **o == BeginOutcome::Resumed)
        .count();
    assert_eq!((started, resumed), (1, 3), "{outcomes:?}");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM registrations").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM status_history").await,
        2
    );
}
