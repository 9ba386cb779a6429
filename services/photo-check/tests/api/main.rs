//! The photo check against the real object store (SeaweedFS from
//! scripts/services.sh) and the real database: real JPEG and PNG files made
//! here, each bad upload, and a redelivery recorded once.

mod images;

use lonjak_bus::Envelope;
use lonjak_domain::photo::PhotoUploaded;
use lonjak_domain::{PhotoKey, PhotoKind, PhotoLimits, PhotoRejection, PhotoState, RegistrationId};
use lonjak_photo_check::handler::PhotoChecker;
use lonjak_photos::{ObjectStore, ObjectStoreSettings};
use lonjak_store::testing::TestDatabase;
use lonjak_store::{DatabaseSettings, Store};
use lonjak_worker::{Handler, Item, Outcome};
use secrecy::SecretString;
use time::OffsetDateTime;

/// The local object store's identity (deploy/seaweedfs/s3.json).
pub fn object_store_settings() -> ObjectStoreSettings {
    ObjectStoreSettings {
        endpoint: "http://127.0.0.1:8333".to_owned(),
        access_key: "lonjak-local-access".to_owned(),
        secret_key: SecretString::from("lonjak-local-secret-not-for-production"),
        ..ObjectStoreSettings::default()
    }
}

async fn object_store() -> ObjectStore {
    let store = ObjectStore::new(&object_store_settings()).expect("object store settings");
    if let Err(error) = store.ping().await {
        panic!(
            "the local object store (SeaweedFS, S3 on 127.0.0.1:8333, bucket lonjak-photos) \
             does not answer ({error}): run scripts/services.sh"
        );
    }
    store
}

fn registration() -> RegistrationId {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    RegistrationId::parse(&hex).expect("32 hex digits")
}

fn item(key: &PhotoKey) -> Item<PhotoUploaded> {
    Item {
        envelope: Envelope::event("test", PhotoUploaded { key: key.clone() }),
        attempt: 1,
        redelivered: false,
        received_at: OffsetDateTime::now_utc(),
        trace: None,
    }
}

fn key(id: RegistrationId, kind: PhotoKind) -> PhotoKey {
    PhotoKey::new(id, kind, *uuid::Uuid::new_v4().as_bytes())
}

fn label(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Done { label, .. } => label,
        Outcome::Retry(_) => "retry",
        Outcome::DeadLetter(_) => "dead letter",
    }
}

struct Harness {
    objects: ObjectStore,
    store: Store,
    checker: PhotoChecker,
    _db: TestDatabase,
}

async fn harness() -> Harness {
    let objects = object_store().await;
    let db = TestDatabase::create().await;
    let settings = DatabaseSettings {
        url: SecretString::from(db.url.clone()),
        max_connections: 2,
        ..DatabaseSettings::default()
    };
    let mut config = settings.to_config().expect("database settings");
    config.data_key = None;
    let store = Store::connect(config).await.expect("database");
    let limits = PhotoLimits {
        max_bytes: 200_000,
        ..PhotoLimits::default()
    };
    Harness {
        checker: PhotoChecker::new(objects.clone(), store.clone(), limits),
        objects,
        store,
        _db: db,
    }
}

#[tokio::test]
async fn good_photos_are_accepted_kept_and_bad_ones_rejected_with_nothing_left_behind() {
    let h = harness().await;
    let good = registration();
    let bad = registration();
    let jpeg = images::jpeg(640, 480);
    let png = images::png(400, 300);
    let mut truncated = images::jpeg(640, 480);
    truncated.truncate(truncated.len() / 2);
    let uploads = [
        (key(good, PhotoKind::Ktp), "image/jpeg", jpeg.clone()),
        (key(good, PhotoKind::Selfie), "image/png", png.clone()),
        (key(bad, PhotoKind::Ktp), "image/jpeg", truncated),
        // Not an image, under an image content type.
        (
            key(bad, PhotoKind::Selfie),
            "image/png",
            b"%PDF-1.4 not a photo".to_vec(),
        ),
    ];
    for (key, content_type, body) in &uploads {
        h.objects
            .put(&key.to_string(), content_type, body.clone())
            .await
            .expect("upload");
    }
    let batch: Vec<_> = uploads.iter().map(|(k, _, _)| item(k)).collect();
    let outcomes = h.checker.handle(&batch).await.expect("batch handled");
    let labels: Vec<_> = outcomes.iter().map(label).collect();
    assert_eq!(labels, ["accepted", "accepted", "rejected", "rejected"]);

    let states = h.store.photo_states(&good).await.expect("states");
    assert!(
        states.iter().all(|s| s.state == PhotoState::Accepted),
        "{states:?}"
    );
    assert_eq!(states.len(), 2);
    let states = h.store.photo_states(&bad).await.expect("states");
    let reason = |kind| {
        states
            .iter()
            .find(|s| s.kind == kind)
            .and_then(|s| s.reason)
    };
    assert_eq!(reason(PhotoKind::Ktp), Some(PhotoRejection::Unreadable));
    assert_eq!(reason(PhotoKind::Selfie), Some(PhotoRejection::NotAnImage));

    // Every upload left incoming/; only accepted ones are kept, intact.
    for (key, _, _) in &uploads {
        assert_eq!(h.objects.head(&key.to_string()).await.expect("head"), None);
    }
    let kept = h
        .objects
        .get(&uploads[0].0.kept(), None)
        .await
        .expect("get");
    assert_eq!(kept.as_deref(), Some(&jpeg[..]));
    assert_eq!(
        h.objects.head(&uploads[2].0.kept()).await.expect("head"),
        None
    );
    for (key, _, _) in &uploads[..2] {
        h.objects.delete(&key.kept()).await.expect("clean up");
    }
}

#[tokio::test]
async fn too_large_wrong_type_and_never_uploaded_are_rejected_and_a_redelivery_records_once() {
    let h = harness().await;
    let id = registration();
    let large = key(id, PhotoKind::Ktp);
    let mut big = images::png(400, 300);
    big.resize(250_000, 0);
    h.objects
        .put(&large.to_string(), "image/png", big)
        .await
        .expect("upload");
    // A real JPEG uploaded as PNG: the content type names something else.
    let mislabelled = key(id, PhotoKind::Selfie);
    h.objects
        .put(
            &mislabelled.to_string(),
            "image/png",
            images::jpeg(640, 480),
        )
        .await
        .expect("upload");
    let missing = key(registration(), PhotoKind::Ktp);

    let batch = [item(&large), item(&mislabelled), item(&missing)];
    let first = h.checker.handle(&batch).await.expect("batch handled");
    assert_eq!(
        first.iter().map(label).collect::<Vec<_>>(),
        ["rejected", "rejected", "rejected"]
    );
    let states = h.store.photo_states(&id).await.expect("states");
    let reason = |kind| {
        states
            .iter()
            .find(|s| s.kind == kind)
            .and_then(|s| s.reason)
    };
    assert_eq!(reason(PhotoKind::Ktp), Some(PhotoRejection::TooLarge));
    assert_eq!(reason(PhotoKind::Selfie), Some(PhotoRejection::NotAnImage));
    let missing_state = h
        .store
        .photo_states(&missing.registration_id())
        .await
        .expect("states");
    assert_eq!(missing_state[0].reason, Some(PhotoRejection::NotUploaded));
    for key in [&large, &mislabelled] {
        assert_eq!(h.objects.head(&key.to_string()).await.expect("head"), None);
    }

    // The worker died after recording, before the ack: the same deliveries
    // again change nothing (the first result and its time stay).
    let again = h.checker.handle(&batch).await.expect("batch handled");
    assert_eq!(
        again.iter().map(label).collect::<Vec<_>>(),
        ["duplicate", "duplicate", "duplicate"]
    );
    let after = h.store.photo_states(&id).await.expect("states");
    assert_eq!(after, states);
}

#[tokio::test]
async fn a_new_upload_of_an_accepted_kind_never_replaces_the_kept_photo() {
    let h = harness().await;
    let id = registration();
    let first = key(id, PhotoKind::Ktp);
    let jpeg = images::jpeg(640, 480);
    h.objects
        .put(&first.to_string(), "image/jpeg", jpeg.clone())
        .await
        .expect("upload");
    let outcomes = h.checker.handle(&[item(&first)]).await.expect("handled");
    assert_eq!(label(&outcomes[0]), "accepted");
    let before = h.store.photo_states(&id).await.expect("states");

    // Another good photo of the same kind, under a URL issued before the
    // acceptance: checked, then refused; the accepted one stays.
    let second = key(id, PhotoKind::Ktp);
    let png = images::png(400, 300);
    h.objects
        .put(&second.to_string(), "image/png", png)
        .await
        .expect("upload");
    let outcomes = h.checker.handle(&[item(&second)]).await.expect("handled");
    assert_eq!(label(&outcomes[0]), "already_accepted");
    assert_eq!(h.store.photo_states(&id).await.expect("states"), before);
    let kept = h.objects.get(&first.kept(), None).await.expect("get");
    assert_eq!(kept.as_deref(), Some(&jpeg[..]));
    assert_eq!(h.objects.head(&second.kept()).await.expect("head"), None);
    assert_eq!(
        h.objects.head(&second.to_string()).await.expect("head"),
        None
    );

    // Counted once, as the accepted check: the refused one is not a result.
    let metrics = h.checker.metrics();
    let accepted = lonjak_photo_check::metrics::CheckLabels {
        result: "accepted",
        reason: "none",
    };
    assert_eq!(metrics.checked.get_or_create(&accepted).get(), 1);
    assert_eq!(metrics.bytes.get(), jpeg.len() as u64);
    h.objects.delete(&first.kept()).await.expect("clean up");
}
