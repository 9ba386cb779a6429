//! Photo upload against the real object store (SeaweedFS from
//! scripts/services.sh, which checks every signature) and the real broker:
//! URLs signed for one key and one content type, refused by the store when
//! expired or altered; a confirm that publishes the key only; each bad
//! request answered with a problem naming the field; the URL budget.

use std::time::Duration;

use lapin::options::BasicGetOptions;
use lapin::{Connection, ConnectionProperties};
use lonjak_photos::{ObjectStore, ObjectStoreSettings};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::helpers::{AMQP_URL, TestApp, spawn_app_with, test_settings, valid_body};

fn object_store_settings() -> ObjectStoreSettings {
    ObjectStoreSettings {
        endpoint: "http://127.0.0.1:8333".to_owned(),
        access_key: "lonjak-local-access".to_owned(),
        secret_key: "lonjak-local-secret-not-for-production".to_owned().into(),
        ..ObjectStoreSettings::default()
    }
}

async fn spawn(client_burst: u32) -> (TestApp, ObjectStore) {
    let objects = ObjectStore::new(&object_store_settings()).unwrap();
    if let Err(error) = objects.ping().await {
        panic!(
            "the local object store (SeaweedFS, S3 on 127.0.0.1:8333) does not answer \
             ({error}): run scripts/services.sh"
        );
    }
    let mut settings = test_settings();
    settings.object_store = object_store_settings();
    settings.photo_upload.client_burst = client_burst;
    (spawn_app_with(settings).await, objects)
}

async fn registration_id(app: &TestApp) -> String {
    let receipt: Value = app.post_json(&valid_body(7)).await.json().await.unwrap();
    receipt["registration_id"].as_str().unwrap().to_owned()
}

async fn ask(app: &TestApp, id: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(format!("{}/v1/registrations/{id}/photos", app.base))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn confirm(app: &TestApp, id: &str, kind: &str, key: &str) -> reqwest::Response {
    app.client
        .post(format!(
            "{}/v1/registrations/{id}/photos/{kind}/complete",
            app.base
        ))
        .json(&json!({ "key": key }))
        .send()
        .await
        .unwrap()
}

async fn put(url: &str, content_type: &str, body: &[u8]) -> u16 {
    reqwest::Client::new()
        .put(url)
        .header("content-type", content_type)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

const JPEG_BYTES: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0xFF, 0xD9,
];

#[tokio::test]
async fn urls_sign_one_key_and_type_the_store_refuses_the_rest_and_a_confirm_publishes_the_key() {
    let (app, objects) = spawn(100).await;
    let id = registration_id(&app).await;
    let answer = ask(
        &app,
        &id,
        &json!({"photos": [
            {"kind": "ktp", "content_type": "image/jpeg"},
            {"kind": "selfie", "content_type": "image/png"}
        ]}),
    )
    .await;
    assert_eq!(answer.status(), 200);
    let urls: Value = answer.json().await.unwrap();
    let expires = OffsetDateTime::parse(
        urls["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expires - OffsetDateTime::now_utc() <= time::Duration::minutes(15));
    let ktp = &urls["uploads"][0];
    let (url, key) = (ktp["url"].as_str().unwrap(), ktp["key"].as_str().unwrap());
    assert_eq!(ktp["kind"], "ktp");
    assert_ne!(key, urls["uploads"][1]["key"].as_str().unwrap());
    // The key names the registration id, never the applicant's NIK.
    let nik = valid_body(7)["nik"].as_str().unwrap().to_owned();
    assert!(key.contains(&id) && !url.contains(&nik));

    // Refused by the store itself: another content type, an altered key,
    // a URL signed long ago.
    assert_eq!(put(url, "image/png", JPEG_BYTES).await, 403);
    let tampered = url.replace("/ktp/", "/selfie/");
    assert_eq!(put(&tampered, "image/jpeg", JPEG_BYTES).await, 403);
    let expired = objects.presign_put(
        key,
        "image/jpeg",
        Duration::from_secs(60),
        OffsetDateTime::now_utc() - time::Duration::minutes(20),
    );
    assert_eq!(put(&expired, "image/jpeg", JPEG_BYTES).await, 403);
    assert_eq!(objects.head(key).await.unwrap(), None, "nothing was stored");
    let tampered_key = tampered
        .split('?')
        .next()
        .unwrap()
        .rsplit("lonjak-photos/")
        .next()
        .unwrap();
    assert_eq!(objects.head(tampered_key).await.unwrap(), None);

    // Confirming before uploading: nothing there, nothing published.
    let early = confirm(&app, &id, "ktp", key).await;
    assert_eq!(early.status(), 409);

    assert_eq!(put(url, "image/jpeg", JPEG_BYTES).await, 200);
    // A key confirmed under another kind is not this photo's.
    let wrong = confirm(&app, &id, "selfie", key).await;
    assert_eq!(wrong.status(), 422);
    let problem: Value = wrong.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "key");
    let done = confirm(&app, &id, "ktp", key).await;
    assert_eq!(done.status(), 202);
    let receipt: Value = done.json().await.unwrap();
    assert_eq!(receipt["state"], "pending");

    let queue = app.topology().queue(lonjak_bus::WorkQueue::PhotoCheck);
    let conn = Connection::connect(AMQP_URL, ConnectionProperties::default())
        .await
        .unwrap();
    let channel = conn.create_channel().await.unwrap();
    let message = channel
        .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
        .expect("photo.uploaded is on the photo-check queue");
    let event: Value = serde_json::from_slice(&message.delivery.data).unwrap();
    assert_eq!(event["event_type"], "photo.uploaded");
    assert_eq!(event["payload"], json!({ "key": key }));
    let _ = conn.close(200, "done".into()).await;

    objects.delete(key).await.unwrap();
    app.cleanup().await;
}

#[tokio::test]
async fn bad_photo_requests_name_the_field_and_too_many_url_requests_wait() {
    let (app, _objects) = spawn(2).await;
    let id = registration_id(&app).await;
    let third = ask(
        &app,
        &id,
        &json!({"photos": [{"kind": "passport", "content_type": "image/gif"}]}),
    )
    .await;
    assert_eq!(third.status(), 422);
    let problem: Value = third.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["photos[0].kind", "photos[0].content_type"]);
    let kind = confirm(&app, &id, "passport", "incoming/x").await;
    assert_eq!(kind.status(), 422);
    let problem: Value = kind.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "kind");

    // Unknown registrations get no URLs.
    let body = json!({"photos": [{"kind": "ktp", "content_type": "image/jpeg"}]});
    let unknown = ask(&app, "00112233445566778899aabbccddeeff", &body).await;
    assert_eq!(unknown.status(), 404);
    // The burst of 2 is spent (two requests above): the next waits.
    let refused = ask(&app, &id, &body).await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().get("retry-after").is_some());
    let problem: Value = refused.json().await.unwrap();
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("photo-upload-rate-limited")
    );
    app.cleanup().await;
}

#[tokio::test]
async fn an_accepted_photo_is_final_new_urls_and_confirms_for_its_kind_are_refused_with_409() {
    use lonjak_domain::{PhotoKey, PhotoKind, RegistrationId};
    use lonjak_store::testing::TestDatabase;
    use lonjak_store::{DataKey, PhotoCheck, Store, StoreConfig};

    let db = TestDatabase::create().await;
    let (app, _objects) = {
        let objects = ObjectStore::new(&object_store_settings()).unwrap();
        let mut settings = test_settings();
        settings.object_store = object_store_settings();
        settings.photo_upload.client_burst = 100;
        settings.database.url = db.url.clone().into();
        (spawn_app_with(settings).await, objects)
    };
    let id = registration_id(&app).await;
    let urls: Value = ask(
        &app,
        &id,
        &json!({"photos": [{"kind": "ktp", "content_type": "image/jpeg"}]}),
    )
    .await
    .json()
    .await
    .unwrap();
    let accepted_key = urls["uploads"][0]["key"].as_str().unwrap().to_owned();
    // The photo-check worker accepted that upload.
    let store = Store::connect(StoreConfig::new(
        &db.url,
        DataKey::from_bytes(&[7; 32]).unwrap(),
    ))
    .await
    .unwrap();
    store
        .record_photo_checks(&[PhotoCheck {
            key: PhotoKey::parse(&accepted_key).unwrap(),
            size: Some(JPEG_BYTES.len() as u64),
            sha256: Some("0".repeat(64)),
            dimensions: Some((640, 480)),
            result: Ok(()),
            checked_at: OffsetDateTime::now_utc(),
        }])
        .await
        .unwrap();

    let again = ask(
        &app,
        &id,
        &json!({"photos": [
            {"kind": "ktp", "content_type": "image/jpeg"},
            {"kind": "selfie", "content_type": "image/jpeg"}
        ]}),
    )
    .await;
    assert_eq!(again.status(), 409);
    assert_eq!(again.headers()["content-type"], "application/problem+json");
    let problem: Value = again.json().await.unwrap();
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("photo-already-accepted")
    );
    assert_eq!(problem["errors"][0]["field"], "kind");
    assert_eq!(problem["errors"].as_array().unwrap().len(), 1, "{problem}");

    // A confirm of another ktp key (say, a URL issued before the
    // acceptance) is refused the same way; the selfie is still open.
    let parsed = RegistrationId::parse(&id).unwrap();
    let other = PhotoKey::new(parsed, PhotoKind::Ktp, [9; 16]).to_string();
    let refused = confirm(&app, &id, "ktp", &other).await;
    assert_eq!(refused.status(), 409);
    let problem: Value = refused.json().await.unwrap();
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("photo-already-accepted")
    );
    let selfie = ask(
        &app,
        &id,
        &json!({"photos": [{"kind": "selfie", "content_type": "image/png"}]}),
    )
    .await;
    assert_eq!(selfie.status(), 200);
}
