//! Test support (cargo feature `testing`): one fresh database per test,
//! cloned from a migrated template so a test pays for a `CREATE DATABASE`,
//! not for running every migration.
//!
//! The server is taken from `LONJAK_TEST_DATABASE_URL` (a URL of the
//! maintenance database, default `postgres://postgres:postgres@127.0.0.1:5432/postgres`).
//! `LONJAK_TEST_TEMPLATE` names the template (default `lonjak_test_template`):
//! checkouts with different migrations on one server each need their own.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::migrate::establish;

const TEMPLATE: &str = "lonjak_test_template";
const PREFIX: &str = "lonjak_test_";
/// Serialises template upkeep and cloning across test processes.
const ADMIN_LOCK_KEY: i64 = 0x6c6f_6e6a_616b_0002;
/// Databases left behind by killed test runs are dropped after this long.
const STALE_AFTER: Duration = Duration::from_secs(3600);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A database that exists for one test, dropped (best effort) with the value.
#[derive(Debug)]
pub struct TestDatabase {
    /// Connection URL of this test's database.
    pub url: String,
    name: String,
    admin_url: String,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    datname: String,
}

impl TestDatabase {
    /// Creates `lonjak_test_<unix seconds>_<random>` from the template,
    /// creating or upgrading the template first when needed.
    ///
    /// # Panics
    /// When PostgreSQL is unreachable: there is no test to run without it.
    pub async fn create() -> Self {
        Self::create_from(Some(&template_name())).await
    }

    /// An empty database (no migrations applied), for testing migrations.
    ///
    /// # Panics
    /// When PostgreSQL is unreachable.
    pub async fn create_empty() -> Self {
        Self::create_from(None).await
    }

    async fn create_from(template: Option<&str>) -> Self {
        let admin_url = std::env::var("LONJAK_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned());
        let created_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let random = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("{PREFIX}{created_at}_{}", &random[..12]);

        let mut admin = establish(&admin_url, CONNECT_TIMEOUT)
            .await
            .expect("connect to the PostgreSQL maintenance database");
        sql(
            &mut admin,
            &format!("SELECT pg_advisory_lock({ADMIN_LOCK_KEY})"),
        )
        .await;

        drop_stale(&mut admin, created_at).await;
        match template {
            Some(template) => {
                if !exists(&mut admin, template).await {
                    sql(&mut admin, &format!("CREATE DATABASE {template}")).await;
                }
                // Every time, under the lock: a no-op when current, and it
                // upgrades a template left by an older checkout.
                crate::migrate(&with_database(&admin_url, template))
                    .await
                    .expect("migrate the test template database");
                sql(
                    &mut admin,
                    &format!("CREATE DATABASE {name} TEMPLATE {template}"),
                )
                .await;
            }
            None => sql(&mut admin, &format!("CREATE DATABASE {name}")).await,
        }

        sql(
            &mut admin,
            &format!("SELECT pg_advisory_unlock({ADMIN_LOCK_KEY})"),
        )
        .await;
        Self {
            url: with_database(&admin_url, &name),
            name,
            admin_url,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs outside any async context we could borrow (and possibly
        // while a runtime shuts down): use a short-lived thread and runtime.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = establish(&admin_url, CONNECT_TIMEOUT).await.ok()?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .ok()
            })
        })
        .join();
        // Best effort: a database left behind is dropped as stale later.
        let _ = dropped;
    }
}

/// The template's name: `LONJAK_TEST_TEMPLATE` if it is a plain identifier
/// under the test prefix, else the default.
fn template_name() -> String {
    std::env::var("LONJAK_TEST_TEMPLATE")
        .ok()
        .filter(|name| {
            name.starts_with(TEMPLATE)
                && name.len() < 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
        .unwrap_or_else(|| TEMPLATE.to_owned())
}

/// Drops test databases older than [`STALE_AFTER`] (killed runs leave them).
async fn drop_stale(admin: &mut AsyncPgConnection, now: u64) {
    let names: Vec<Name> = diesel::sql_query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'lonjak\\_test\\_%' AND datname NOT LIKE $1",
    )
    .bind::<Text, _>(format!("{TEMPLATE}%"))
    .load(admin)
    .await
    .unwrap_or_default();
    for Name { datname } in names {
        let created = datname
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|created| now.saturating_sub(created) > STALE_AFTER.as_secs()) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {datname} WITH (FORCE)"))
                .execute(admin)
                .await;
        }
    }
}

async fn exists(admin: &mut AsyncPgConnection, name: &str) -> bool {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count: Count =
        diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(name)
            .get_result(admin)
            .await
            .expect("query pg_database");
    count.n > 0
}

async fn sql(conn: &mut AsyncPgConnection, statement: &str) {
    diesel::sql_query(statement)
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("test database set-up failed at {statement:?}: {e}"));
}

/// `url` with its database path replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    // The database is the path after the authority (`scheme://authority/db`).
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

/// A NIK (or, with `kk`, a KK number) ciphertext as the store wrote it
/// before versioned keys, under `key`: for arranging rows from before them.
pub fn legacy_ciphertext(
    key: &crate::DataKey,
    kk: bool,
    registration_id: &str,
    plaintext: &str,
) -> Vec<u8> {
    let field = if kk {
        crate::crypto::Field::KkNumber
    } else {
        crate::crypto::Field::Nik
    };
    crate::crypto::seal_legacy(key, field, registration_id, plaintext)
        .unwrap_or_else(|_| unreachable!("AES-GCM seals any plaintext"))
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_in_url_is_replaced_and_query_kept() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "x"),
            "postgres://u@h:5432/x"
        );
    }
}
