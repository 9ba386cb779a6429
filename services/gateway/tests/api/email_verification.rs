//! Email verification links: valid, replayed, expired, altered and unknown
//! tokens, and re-sending beyond the day's limit. No answer names an address.

use lonjak_bus::{Bus, WorkQueue};
use lonjak_domain::testing::{SAMPLE_TODAY, identity_key, sample_registration};
use lonjak_domain::{
    EmailHash, EmailToken, EmailVerificationKey, EmailVerificationSettings, RegistrationId,
    RegistrationStatus, Wave,
};
use lonjak_store::testing::TestDatabase;
use lonjak_store::{DataKey, NewRegistration, OutboxEvent, Store, StoreConfig, Verification};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::helpers::{TestApp, spawn_app_with, test_settings};

const KEY: [u8; 32] = [5; 32];

fn key() -> EmailVerificationKey {
    EmailVerificationKey::from_hex(&hex::encode(KEY)).unwrap()
}

struct Setup {
    app: TestApp,
    _db: TestDatabase,
    /// Recorded registrations: id and address.
    people: Vec<(RegistrationId, String)>,
}

async fn setup(people: u64) -> Setup {
    let db = TestDatabase::create().await;
    let store = Store::connect(StoreConfig::new(
        &db.url,
        DataKey::from_bytes(&[7; 32]).unwrap(),
    ))
    .await
    .unwrap();
    let mut recorded = Vec::new();
    for n in 0..people {
        let reg = sample_registration(200 + n, SAMPLE_TODAY);
        let id = RegistrationId::derive(&identity_key(), reg.nik(), Wave::FIRST);
        store
            .record_verifications(&[Verification {
                registration: NewRegistration::from_domain(
                    &reg,
                    id,
                    &identity_key(),
                    OffsetDateTime::now_utc(),
                ),
                started_at: OffsetDateTime::now_utc(),
                decision: RegistrationStatus::Verifying
                    .transition(RegistrationStatus::Verified, None)
                    .unwrap(),
                social_aid_programme: None,
                checks: Vec::new(),
                event: OutboxEvent {
                    event_id: uuid::Uuid::new_v4(),
                    routing_key: "registration.verified".to_owned(),
                    envelope: json!({}),
                },
            }])
            .await
            .unwrap();
        recorded.push((id, reg.email().as_str().to_owned()));
    }
    let mut settings = test_settings();
    settings.database.url = db.url.clone().into();
    settings.identity.key = identity_key();
    settings.email_verification = Some(EmailVerificationSettings {
        key: key(),
        ttl_hours: 48,
        link_base_url: "http://127.0.0.1:8080".to_owned(),
        resends_per_day: 2,
    });
    Setup {
        app: spawn_app_with(settings).await,
        _db: db,
        people: recorded,
    }
}

fn token(id: &RegistrationId, email: &str, valid_for: Duration) -> String {
    let address = EmailHash::derive(&identity_key(), email);
    EmailToken::issue(&key(), id, &address, OffsetDateTime::now_utc() + valid_for)
}

async fn body(resp: reqwest::Response) -> (u16, String, Value) {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = resp.text().await.unwrap();
    (
        status,
        content_type,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_link_verifies_the_address_once_and_again_gives_the_same_answer() {
    let s = setup(1).await;
    let (id, email) = &s.people[0];
    let status = s.app.get(&format!("/v1/registrations/{id}")).await;
    assert_eq!(body(status).await.2["email_verified"], false);

    let link = format!(
        "/v1/email-verifications/{}",
        token(id, email, Duration::hours(48))
    );
    let first = s.app.get(&link).await;
    let text = first.text().await.unwrap();
    assert!(
        !text.contains(email.as_str()),
        "the answer names the address"
    );
    let first: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(first["email_verified"], true);
    assert_eq!(first["registration_id"], id.to_string());

    // Replayed: the same answer, the first verification time.
    let (code, _, again) = body(s.app.get(&link).await).await;
    assert_eq!(code, 200);
    assert_eq!(again["email_verified_at"], first["email_verified_at"]);

    let status = s.app.get(&format!("/v1/registrations/{id}")).await;
    assert_eq!(body(status).await.2["email_verified"], true);
    s.app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_altered_and_unknown_links_get_a_clear_problem_that_names_no_address() {
    let s = setup(2).await;
    let (id, email) = &s.people[0];

    let expired = token(id, email, Duration::hours(-1));
    let (code, content_type, problem) = body(
        s.app
            .get(&format!("/v1/email-verifications/{expired}"))
            .await,
    )
    .await;
    assert_eq!(code, 410);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(
        problem["type"],
        "https://lonjak.dev/problems/expired-verification-link"
    );

    // One digit of the signature changed; a token for another address; a
    // genuine-looking token for a registration that does not exist; junk.
    let good = token(id, email, Duration::hours(1));
    let mut altered = good.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
    let altered = String::from_utf8(altered).unwrap();
    let other_address = token(id, &s.people[1].1, Duration::hours(1));
    let unknown = token(
        &RegistrationId::from_bytes([1; 16]),
        email,
        Duration::hours(1),
    );
    let mut answers = Vec::new();
    for bad in [altered.as_str(), &other_address, &unknown, "not-a-token"] {
        let resp = s.app.get(&format!("/v1/email-verifications/{bad}")).await;
        let (code, content_type, problem) = body(resp).await;
        assert_eq!(code, 404, "{bad}");
        assert_eq!(content_type, "application/problem+json");
        assert!(!problem.to_string().contains(email.as_str()));
        answers.push(problem);
    }
    // Altered, unknown and junk are told apart by nothing.
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]));

    // None of them verified anything.
    let status = s.app.get(&format!("/v1/registrations/{id}")).await;
    assert_eq!(body(status).await.2["email_verified"], false);
    s.app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_is_resent_up_to_the_days_limit_then_429_and_never_once_verified() {
    let s = setup(1).await;
    let (id, email) = &s.people[0];
    let resend = format!("{}/v1/registrations/{id}/email-verification", s.app.base);

    for left in [1, 0] {
        let (code, _, receipt) = body(s.app.client.post(&resend).send().await.unwrap()).await;
        assert_eq!(code, 202);
        assert_eq!(receipt["status"], "sending");
        assert_eq!(receipt["resends_left_today"], left);
    }
    let beyond = s.app.client.post(&resend).send().await.unwrap();
    assert_eq!(beyond.status(), 429);
    let retry_after: u64 = beyond.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&retry_after));
    assert_eq!(
        body(beyond).await.2["type"],
        "https://lonjak.dev/problems/resend-limit"
    );

    // Two requests reached the notifier's queue.
    let bus = Bus::connect(s.app.settings.bus.to_config()).await.unwrap();
    let queue = bus.topology().queue(WorkQueue::Notifier);
    assert_eq!(bus.queue_depth(&queue).await.unwrap().messages, 2);
    bus.close().await;

    // Once verified, nothing more is sent.
    let link = format!(
        "/v1/email-verifications/{}",
        token(id, email, Duration::hours(1))
    );
    assert_eq!(s.app.get(&link).await.status(), 200);
    let (code, _, receipt) = body(s.app.client.post(&resend).send().await.unwrap()).await;
    assert_eq!(code, 200);
    assert_eq!(receipt["status"], "already_verified");

    // An id nobody issued is unknown.
    let made_up = format!(
        "{}/v1/registrations/{}/email-verification",
        s.app.base,
        RegistrationId::from_bytes([2; 16])
    );
    assert_eq!(
        s.app.client.post(&made_up).send().await.unwrap().status(),
        404
    );
    s.app.cleanup().await;
}
