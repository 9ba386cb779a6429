//! Migrations: repeatable, safe under concurrency, and the history table's
//! append-only guard.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use lonjak_domain::Wave;
use lonjak_store::testing::TestDatabase;
use lonjak_store::{Store, StoreConfig, migrate};

use crate::helpers::{Count, TestStore, data_key, registration};

async fn applied_migrations(url: &str) -> i64 {
    let mut conn = AsyncPgConnection::establish(url).await.expect("connect");
    let count: Count = diesel::sql_query("SELECT count(*) AS n FROM __diesel_schema_migrations")
        .get_result(&mut conn)
        .await
        .expect("read the migrations table");
    count.n
}

#[tokio::test]
async fn migrating_an_already_migrated_database_again_changes_nothing() {
    let db = TestDatabase::create().await;
    let before = applied_migrations(&db.url).await;

    migrate(&db.url).await.expect("first extra run");
    migrate(&db.url).await.expect("second extra run");

    assert!(before > 0);
    assert_eq!(applied_migrations(&db.url).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_concurrent_migrations_of_an_empty_database_all_succeed_once() {
    let db = TestDatabase::create_empty().await;

    let runs: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { migrate(&url).await })
        })
        .collect();
    for run in runs {
        run.await.expect("task").expect("migrate");
    }

    let once = applied_migrations(&db.url).await;
    migrate(&db.url).await.expect("one more run");
    assert_eq!(applied_migrations(&db.url).await, once);
    let store = Store::connect(StoreConfig::new(db.url.clone(), data_key()))
        .await
        .expect("connect");
    store
        .ensure_wave(Wave::FIRST)
        .await
        .expect("the schema is usable");
}

#[tokio::test]
async fn status_history_rows_cannot_be_updated_or_deleted() {
    let app = TestStore::spawn().await;
    crate::helpers::record(&app, registration(1), crate::helpers::verified()).await;
    let mut conn = app.raw().await;

    let update = diesel::sql_query("UPDATE status_history SET to_status = 'selected'")
        .execute(&mut conn)
        .await;
    let delete = diesel::sql_query("DELETE FROM status_history")
        .execute(&mut conn)
        .await;
    let truncate = diesel::sql_query("TRUNCATE status_history")
        .execute(&mut conn)
        .await;

    assert!(update.is_err(), "UPDATE was allowed");
    assert!(delete.is_err(), "DELETE was allowed");
    assert!(truncate.is_err(), "TRUNCATE was allowed");
    let count: Count = diesel::sql_query("SELECT count(*) AS n FROM status_history")
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(count.n, 3);
}
