//! Shared arrangements: a migrated per-test database and sample registrations.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use lonjak_domain::testing::{SAMPLE_TODAY, identity_key, sample_registration};
use lonjak_domain::verification::{CheckOutcome, Registry};
use lonjak_domain::{RegistrationId, RegistrationStatus, RejectionReason, Transition};
use lonjak_store::testing::TestDatabase;
use lonjak_store::{
    CheckRecord, DataKey, NewRegistration, OutboxEvent, Recorded, Store, StoreConfig, Verification,
};
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

/// Applicant `i` as a different person would submit it with the same NIK:
/// another name, so another submission hash.
pub fn squatter(i: u64) -> NewRegistration {
    let mut reg = registration(i);
    let key = identity_key();
    let mut request = sample_registration(i, SAMPLE_TODAY).to_request();
    request.full_name = Some("Nama Orang Lain".to_owned());
    let other =
        lonjak_domain::Registration::parse(&request, SAMPLE_TODAY, reg.wave).expect("valid");
    reg.full_name = other.full_name().as_str().to_owned();
    reg.submission_hash = lonjak_domain::SubmissionHash::derive(&key, &other);
    reg
}

/// A decided verification of `reg` with one Dukcapil check and a fresh event.
pub fn verification(reg: NewRegistration, decision: Transition) -> Verification {
    let routing_key = if decision.to() == RegistrationStatus::Verified {
        "registration.verified"
    } else {
        "registration.rejected"
    };
    Verification {
        registration: reg,
        started_at: OffsetDateTime::now_utc(),
        decision,
        social_aid_programme: None,
        checks: vec![CheckRecord {
            registry: Registry::Dukcapil,
            outcome: CheckOutcome::Answered,
            detail: serde_json::json!({"found": true}),
        }],
        event: event(routing_key),
    }
}

/// Records one verification and returns what the store did.
pub async fn record(app: &TestStore, reg: NewRegistration, decision: Transition) -> Recorded {
    let recorded = app
        .store
        .record_verifications(&[verification(reg, decision)])
        .await
        .expect("recorded");
    recorded[0]
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
