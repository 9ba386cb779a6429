//! The waiting room's row locks, on the real PostgreSQL: joins in flight
//! must neither stop the queue nor miss the draw.

use std::time::Duration;

use diesel_async::{AnsiTransactionManager, RunQueryDsl, TransactionManager};
use lonjak_domain::Wave;
use time::OffsetDateTime;

use crate::helpers::TestStore;

const TICK: Duration = Duration::from_secs(1);
const PERMIT: Duration = Duration::from_secs(60);

fn wave() -> Wave {
    Wave::new(7).expect("wave 7 is valid")
}

/// A store with wave 7's waiting room open since a minute and drawn.
async fn opened_wave() -> TestStore {
    let t = TestStore::spawn().await;
    let opened = OffsetDateTime::now_utc() - time::Duration::minutes(1);
    t.store
        .waitroom_ensure_wave(wave(), Some(opened))
        .await
        .expect("waiting-room step");
    t.store
        .waitroom_draw(wave())
        .await
        .expect("waiting-room step");
    t
}

/// A connection in a transaction holding the key-share lock a join holds.
async fn join_in_flight(t: &TestStore) -> diesel_async::AsyncPgConnection {
    let mut join = t.raw().await;
    AnsiTransactionManager::begin_transaction(&mut join)
        .await
        .expect("waiting-room step");
    diesel::sql_query("SELECT 1 FROM waitroom_waves WHERE wave_id = 7 FOR KEY SHARE")
        .execute(&mut join)
        .await
        .expect("waiting-room step");
    join
}

/// A join holds a key-share lock on the wave row until it commits (its read
/// of `drawn`, and its ticket's foreign key). At 1,300 joins/s one is
/// nearly always in flight; the tick must claim the row all the same.
#[tokio::test]
async fn a_join_in_flight_does_not_stop_the_tick() {
    let t = opened_wave().await;

    let mut join = join_in_flight(&t).await;

    let claim = t
        .store
        .waitroom_claim_tick(wave(), TICK, PERMIT)
        .await
        .expect("waiting-room step");
    assert!(claim.is_some(), "the tick was skipped behind a join");
    AnsiTransactionManager::rollback_transaction(&mut join)
        .await
        .expect("waiting-room step");
}

/// Joins before opening take no place; the draw, run while one of them is
/// still uncommitted, waits for it and places it with the group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_draw_waits_for_a_join_in_flight_and_places_it() {
    let t = TestStore::spawn().await;
    let opens = OffsetDateTime::now_utc() + time::Duration::seconds(2);
    t.store
        .waitroom_ensure_wave(wave(), Some(opens))
        .await
        .expect("waiting-room step");
    let window = Duration::from_secs(3600);
    t.store
        .waitroom_join(wave(), &[1; 32], window, PERMIT, |_| None)
        .await
        .expect("waiting-room step");

    // A second join, as the store's own would be, held open over the
    // opening: the lock, then its ticket without a place.
    let mut join = join_in_flight(&t).await;
    diesel::sql_query(
        "INSERT INTO waitroom_tickets (id, wave_id, client_key, draw) \
         VALUES (gen_random_uuid(), 7, decode(repeat('02', 32), 'hex'), 0)",
    )
    .execute(&mut join)
    .await
    .expect("waiting-room step");

    tokio::time::sleep(Duration::from_millis(2_200)).await;
    let store = t.store.clone();
    let draw = tokio::spawn(async move { store.waitroom_draw(wave()).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!draw.is_finished(), "the draw did not wait for the join");
    AnsiTransactionManager::commit_transaction(&mut join)
        .await
        .expect("waiting-room step");
    draw.await
        .expect("waiting-room step")
        .expect("waiting-room step");

    #[derive(diesel::QueryableByName)]
    struct Placed {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let placed: Placed = diesel::sql_query(
        "SELECT count(*) AS n FROM waitroom_tickets WHERE wave_id = 7 AND position IN (1, 2)",
    )
    .get_result(&mut t.raw().await)
    .await
    .expect("waiting-room step");
    assert_eq!(placed.n, 2, "both pre-opening joins are in the draw");
}

/// The first wait announced is recorded with the join, once: joining again
/// announces a new wait but keeps the first for the estimate-error metric.
#[tokio::test]
async fn a_join_records_its_first_announced_wait_once() {
    let t = opened_wave().await;
    let join = |announce: f64| {
        t.store
            .waitroom_join(wave(), &[3; 32], Duration::ZERO, PERMIT, move |state| {
                state.position.map(|_| announce)
            })
    };
    let lonjak_store::Joined::Ticket { id, state, .. } =
        join(42.0).await.expect("waiting-room step")
    else {
        panic!("the wave is open");
    };
    assert!(state.estimate_recorded);
    let lonjak_store::Joined::Ticket { state: again, .. } =
        join(7.0).await.expect("waiting-room step")
    else {
        panic!("the wave is open");
    };
    assert!(again.estimate_recorded);

    #[derive(diesel::QueryableByName)]
    struct Recorded {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
        estimate_secs: Option<f64>,
    }
    let row: Recorded =
        diesel::sql_query("SELECT estimate_secs FROM waitroom_tickets WHERE id = $1")
            .bind::<diesel::sql_types::Uuid, _>(id)
            .get_result(&mut t.raw().await)
            .await
            .expect("waiting-room step");
    assert_eq!(row.estimate_secs, Some(42.0));
}
