//! Applicants recorded the way the verifier records them (sealed personal
//! fields, keyed hashes, registry checks, the outboxed event), for the
//! support desk's tests.

use lonjak_domain::testing::{SAMPLE_TODAY, identity_key, sample_registration};
use lonjak_domain::verification::{CheckOutcome, Registry};
use lonjak_domain::{Registration, RegistrationId, RegistrationStatus, Wave};
use lonjak_store::{
    CheckRecord, DataKey, NewRegistration, OutboxEvent, Store, StoreConfig, Verification,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::helpers::{DATA_KEY, TestApp};

/// One recorded registration and the applicant it belongs to.
pub struct Person {
    pub id: RegistrationId,
    pub reg: Registration,
}

impl TestApp {
    /// Records sample applicant `n` as verified in `wave`.
    pub async fn record(&self, n: u64, wave: u32) -> Person {
        let store = Store::connect(StoreConfig::new(
            &self.db.url,
            DataKey::from_bytes(&DATA_KEY).unwrap(),
        ))
        .await
        .unwrap();
        let reg = sample_registration(n, SAMPLE_TODAY);
        let wave = Wave::new(wave).unwrap();
        let id = RegistrationId::derive(&identity_key(), reg.nik(), wave);
        let mut new =
            NewRegistration::from_domain(&reg, id, &lookup_key(), OffsetDateTime::now_utc());
        new.wave = wave;
        let answered = |registry, detail| CheckRecord {
            registry,
            outcome: CheckOutcome::Answered,
            detail,
        };
        let payload = json!({
            "registration_id": id.to_string(),
            "wave": wave.get(),
            "verified_at": "2026-12-04T10:00:00Z",
            "employment_status": "laid_off",
            "social_aid_programme": null,
        });
        store
            .record_verifications(&[Verification {
                registration: new,
                started_at: OffsetDateTime::now_utc(),
                decision: RegistrationStatus::Verifying
                    .transition(RegistrationStatus::Verified, None)
                    .unwrap(),
                social_aid_programme: None,
                checks: vec![
                    answered(
                        Registry::Dukcapil,
                        json!({"found": true, "name_match": true, "birth_date_match": true, "occupation": "unemployed"}),
                    ),
                    answered(Registry::Dapodik, json!({"enrolled": false})),
                    answered(Registry::Dtks, json!({"recipient": true, "programme": "pkh"})),
                ],
                event: OutboxEvent {
                    event_id: uuid::Uuid::new_v4(),
                    routing_key: "registration.verified".to_owned(),
                    envelope: json!({ "payload": payload }),
                },
            }])
            .await
            .unwrap();
        Person { id, reg }
    }

    /// A notification the notifier sent.
    pub async fn sent(&self, id: &RegistrationId, event: &str, channel: &str) {
        self.run_sql(&format!(
            "INSERT INTO notifications (registration_id, event, channel, state, attempts, sent_at)
             VALUES ('{id}', '{event}', '{channel}', 'sent', 1, now())"
        ))
        .await;
    }

    /// Access-log rows as `actor|action|outcome|kind|ids|detail`, oldest first.
    pub async fn access_rows(&self) -> Vec<String> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            line: String,
        }
        let rows: Vec<Row> = diesel_async::RunQueryDsl::load(
            diesel::sql_query(
                "SELECT concat_ws('|', actor, action, outcome, coalesce(lookup_kind, '-'),
                        array_to_string(registration_ids, ','), coalesce(detail, '-')) AS line
                   FROM access_log ORDER BY id",
            ),
            &mut self.raw().await,
        )
        .await
        .unwrap();
        rows.into_iter().map(|r| r.line).collect()
    }
}

/// The stored hashes' key in these tests, apart from the id key.
pub fn lookup_key() -> lonjak_domain::IdentityKey {
    match lonjak_domain::IdentityKey::from_bytes(b"lonjak test look-up key, apart from the id key")
    {
        Ok(key) => key,
        Err(error) => panic!("test key rejected: {error}"),
    }
}
