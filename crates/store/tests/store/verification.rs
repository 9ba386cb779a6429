//! The verifier's path through the store: idempotent start, guarded
//! completion, status look-ups and the history they leave.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::RunQueryDsl;
use lonjak_domain::testing::identity_key;
use lonjak_domain::{NikHash, RegistrationId, RegistrationStatus, RejectionReason, Transition};
use lonjak_store::{BeginOutcome, CompleteExtra, StoreError};

use crate::helpers::{TestStore, event, registration, rejected, verified};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName, Debug, PartialEq)]
struct HistoryRow {
    #[diesel(sql_type = Nullable<Text>)]
    from_status: Option<String>,
    #[diesel(sql_type = Text)]
    to_status: String,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
}

async fn count(app: &TestStore, sql: &str) -> i64 {
    let mut conn = app.raw().await;
    let row: Count = diesel::sql_query(sql)
        .get_result(&mut conn)
        .await
        .expect("count query");
    row.n
}

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
