//! Shared arrangements: a migrated per-test database and sample registrations.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use lonjak_domain::testing::{SAMPLE_TODAY, identity_key, sample_registration};
use lonjak_domain::{RegistrationId, RegistrationStatus, RejectionReason, Transition};
use lonjak_store::testing::TestDatabase;
use lonjak_store::{DataKey, NewRegistration, OutboxEvent, Store, StoreConfig};
use time::OffsetDateTime;
use uuid::Uuid;

pub struct TestStore {
    pub store: Store,
    pub db: TestDatabase,
}

impl TestStore {
    /// A store on a fresh, migrated database.
    pub async fn spawn() -> Self {
        let db = TestDatabase::create().await;
        let store = Store::connect(StoreConfig::new(db.url.clone(), data_key()))
            .await
            .expect("connect to the test database");
        Self { store, db }
    }

    /// A direct connection, for checking what the API does not expose.
    pub async fn raw(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.db.url)
            .await
            .expect("connect to the test database")
    }
}

pub fn data_key() -> DataKey {
    DataKey::from_bytes(&[42; 32]).expect("32-byte key")
}

/// Applicant `i` of the domain's generator, as the verifier would store it.
pub fn registration(i: u64) -> NewRegistration {
    let reg = sample_registration(i, SAMPLE_TODAY);
    let key = identity_key();
    let id = RegistrationId::derive(&key, reg.nik(), reg.wave());
    NewRegistration::from_domain(&reg, id, &key, OffsetDateTime::now_utc())
}

pub fn event(routing_key: &str) -> OutboxEvent {
    let event_id = Uuid::new_v4();
    OutboxEvent {
        event_id,
        routing_key: routing_key.to_owned(),
        envelope: serde_json::json!({"schema_version": 1, "event_id": event_id.to_string()}),
    }
}

pub fn verified() -> Transition {
    RegistrationStatus::Verifying
        .transition(RegistrationStatus::Verified, None)
        .expect("verifying → verified is allowed")
}

pub fn rejected(reason: RejectionReason) -> Transition {
    RegistrationStatus::Verifying
        .transition(RegistrationStatus::Rejected, Some(reason))
        .expect("verifying → rejected is allowed")
}

/// A row count.
#[derive(QueryableByName)]
pub struct Count {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

#[derive(QueryableByName, Debug, PartialEq)]
pub struct HistoryRow {
    #[diesel(sql_type = Nullable<Text>)]
    pub from_status: Option<String>,
    #[diesel(sql_type = Text)]
    pub to_status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
}

/// The single `n` column of `sql`, read over a direct connection.
pub async fn count(app: &TestStore, sql: &str) -> i64 {
    let mut conn = app.raw().await;
    let row: Count = diesel::sql_query(sql)
        .get_result(&mut conn)
        .await
        .expect("count query");
    row.n
}
