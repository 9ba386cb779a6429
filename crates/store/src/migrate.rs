//! Embedded migrations, applied by an explicit call (an operator command or a
//! deploy job), never silently by every replica at start.

use std::time::Duration;

use diesel::sql_types::BigInt;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::StoreError;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Session advisory-lock key serialising migrators ("lonjak" in ASCII, then 1).
const MIGRATION_LOCK_KEY: i64 = 0x6c6f_6e6a_616b_0001;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Applies every pending migration to the database at `database_url`.
///
/// Safe to run concurrently and repeatedly: callers queue on a PostgreSQL
/// advisory lock, and whoever comes second finds nothing pending. Needs a
/// tokio runtime (either flavour).
#[tracing::instrument(skip_all)]
pub async fn migrate(database_url: &str) -> Result<(), StoreError> {
    let mut conn = establish(database_url, CONNECT_TIMEOUT).await?;

    // Waits (without a timeout on purpose) for another migrator to finish;
    // the lock is released at unlock or when this session ends.
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(&mut conn)
        .await?;

    // diesel's migration harness is synchronous: run it on a blocking thread
    // through the async-to-sync wrapper, which drives the connection with the
    // current runtime's handle.
    let (conn, applied) = tokio::task::spawn_blocking(move || {
        let mut wrapper: AsyncConnectionWrapper<AsyncPgConnection> =
            AsyncConnectionWrapper::from(conn);
        let applied = wrapper
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.len())
            .map_err(|e| StoreError::Migration(e.to_string()));
        (wrapper.into_inner(), applied)
    })
    .await
    .map_err(|e| StoreError::Migration(format!("migration task failed: {e}")))?;

    let mut conn = conn;
    let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(&mut conn)
        .await;
    let applied = applied?;
    unlocked?;
    tracing::info!(migrations.applied = applied, "database migrated");
    Ok(())
}

/// One connection outside the pool, with a bound on connection set-up.
pub(crate) async fn establish(
    database_url: &str,
    timeout: Duration,
) -> Result<AsyncPgConnection, StoreError> {
    tokio::time::timeout(timeout, crate::tls::establish(database_url))
        .await
        .map_err(|_| StoreError::Timeout)?
        .map_err(StoreError::Connect)
}
