//! Status look-ups: from the database, never personal data; `queued` only for
//! ids this deployment issued.

use lonjak_domain::status::{RegistrationStatus, RejectionReason};
use lonjak_domain::testing::{SAMPLE_TODAY, identity_key, sample_registration};
use lonjak_domain::{RegistrationId, Wave};
use lonjak_store::testing::TestDatabase;
use lonjak_store::{DataKey, NewRegistration, OutboxEvent, Store, StoreConfig, Verification};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::helpers::{spawn_app_with, test_settings};

fn key_hex() -> String {
    hex_encode(b"lonjak test identity key, never used in production")
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_registration_is_reported_without_personal_data() {
    let db = TestDatabase::create().await;
    let store = Store::connect(StoreConfig::new(
        &db.url,
        DataKey::from_bytes(&[7; 32]).unwrap(),
    ))
    .await
    .unwrap();
    let reg = sample_registration(1, SAMPLE_TODAY);
    let id = RegistrationId::derive(&identity_key(), reg.nik(), Wave::FIRST);
    let t = RegistrationStatus::Verifying
        .transition(
            RegistrationStatus::Rejected,
            Some(RejectionReason::InEducation),
        )
        .unwrap();
    let event = OutboxEvent {
        event_id: uuid::Uuid::new_v4(),
        routing_key: "registration.rejected".to_owned(),
        envelope: json!({}),
    };
    store
        .record_verifications(&[Verification {
            registration: NewRegistration::from_domain(
                &reg,
                id,
                &identity_key(),
                OffsetDateTime::now_utc(),
            ),
            started_at: OffsetDateTime::now_utc(),
            decision: t,
            social_aid_programme: None,
            checks: Vec::new(),
            event,
        }])
        .await
        .unwrap();
    let mut settings = test_settings();
    settings.database.url = db.url.clone().into();
    settings.identity.key = lonjak_domain::IdentityKey::from_hex(&key_hex()).expect("key");
    let app = spawn_app_with(settings).await;

    let resp = app.get(&format!("/v1/registrations/{id}")).await;

    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["registration_id"], id.to_string());
    assert_eq!(body["status"], "rejected");
    assert_eq!(body["reason"], "in_education");
    assert!(body["updated_at"].is_string());
    for personal in [
        reg.nik().as_str(),
        reg.full_name().as_str(),
        reg.email().as_str(),
        reg.phone().as_str(),
    ] {
        assert!(!text.contains(personal), "status leaks personal data");
    }
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issued_id_not_yet_recorded_is_queued_and_a_made_up_one_is_404() {
    let db = TestDatabase::create().await;
    let mut settings = test_settings();
    settings.database.url = db.url.clone().into();
    settings.identity.key = lonjak_domain::IdentityKey::from_hex(&key_hex()).expect("key");
    let app = spawn_app_with(settings).await;
    let reg = sample_registration(2, SAMPLE_TODAY);
    let issued = RegistrationId::derive(&identity_key(), reg.nik(), Wave::FIRST);
    let made_up = "0123456789abcdef0123456789abcdef";

    let queued: Value = app
        .get(&format!("/v1/registrations/{issued}"))
        .await
        .json()
        .await
        .unwrap();
    let unknown = app.get(&format!("/v1/registrations/{made_up}")).await;
    let malformed = app.get("/v1/registrations/not-an-id").await;

    assert_eq!(queued["status"], "queued");
    assert!(queued["queue_position_estimate"].is_number());
    assert!(queued["estimated_wait_seconds"].is_number());
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(malformed.status(), 404);

    // The receipt's queue mark narrows the estimate; one no receipt gives is
    // a 422 naming the parameter, not silently ignored.
    let marked = app
        .get(&format!("/v1/registrations/{issued}?queue_mark=0"))
        .await;
    assert_eq!(marked.status(), 200);
    let beyond = app
        .get(&format!(
            "/v1/registrations/{issued}?queue_mark=9223372036854775808"
        ))
        .await;
    assert_eq!(beyond.status(), 422);
    let problem: Value = beyond.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "queue_mark");
    assert_eq!(problem["errors"][0]["rule"], "range");
    app.cleanup().await;
}
