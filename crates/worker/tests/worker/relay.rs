//! The outbox relay publishes events that were committed but never confirmed.

use std::time::Duration;

use lonjak_bus::WorkQueue;
use lonjak_domain::testing::{SAMPLE_TODAY, identity_key, sample_registration};
use lonjak_domain::{RegistrationId, RegistrationStatus};
use lonjak_store::{NewRegistration, OutboxEvent, Verification};
use lonjak_worker::WorkerSettings;
use time::OffsetDateTime;

use crate::helpers::{eventually, settings, spawn};

#[tokio::test]
async fn an_event_committed_but_never_published_is_published_by_the_relay_and_marked() {
    let worker = spawn(WorkerSettings {
        relay_interval_ms: 200,
        relay_after_ms: 0,
        ..settings()
    })
    .await;
    let reg = sample_registration(3, SAMPLE_TODAY);
    let key = identity_key();
    let id = RegistrationId::derive(&key, reg.nik(), reg.wave());
    let event_id = uuid::Uuid::now_v7();
    let envelope = serde_json::json!({
        "schema_version": 1,
        "event_id": event_id,
        "event_type": "registration.verified",
        "occurred_at": "2020-04-11T03:00:00Z",
        "correlation_id": "relay-test",
        "payload": {"registration_id": id.to_string(), "wave": 1,
                    "verified_at": "2020-04-11T03:00:00Z",
                    "employment_status": "laid_off", "social_aid_programme": null}
    });
    let verification = Verification {
        registration: NewRegistration::from_domain(&reg, id, &key, OffsetDateTime::now_utc()),
        started_at: OffsetDateTime::now_utc(),
        decision: RegistrationStatus::Verifying
            .transition(RegistrationStatus::Verified, None)
            .expect("allowed"),
        social_aid_programme: None,
        checks: Vec::new(),
        event: OutboxEvent {
            event_id,
            routing_key: "registration.verified".to_owned(),
            envelope,
        },
    };
    worker
        .store
        .record_verifications(&[verification])
        .await
        .expect("recorded");

    let eligibility = worker.queue(WorkQueue::Eligibility);
    eventually("the stale event on the eligibility queue", async || {
        worker.ready_in(&eligibility).await == 1
    })
    .await;
    eventually("the event marked published", async || {
        worker.store.unpublished_count().await.expect("count") == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(worker.ready_in(&eligibility).await, 1, "published once");
}
