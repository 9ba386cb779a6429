//! Personal data at rest: encrypted identifiers, nothing personal in `Debug`.

use diesel::QueryableByName;
use diesel::sql_types::Bytea;
use diesel_async::RunQueryDsl;
use lonjak_store::{DataKey, Store, StoreConfig, StoreError};

use crate::helpers::{TestStore, record, registration, verified};

#[derive(QueryableByName)]
struct Sealed {
    #[diesel(sql_type = Bytea)]
    nik_ciphertext: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    kk_ciphertext: Vec<u8>,
}

#[tokio::test]
async fn the_nik_is_stored_encrypted_and_decrypts_back() {
    let app = TestStore::spawn().await;
    let reg = registration(20);

    record(&app, reg.clone(), verified()).await;

    let mut conn = app.raw().await;
    let sealed: Sealed =
        diesel::sql_query("SELECT nik_ciphertext, kk_ciphertext FROM registrations")
            .get_result(&mut conn)
            .await
            .expect("row");
    let contains = |haystack: &[u8], needle: &str| {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    };
    assert!(!contains(&sealed.nik_ciphertext, &reg.nik));
    assert!(!contains(&sealed.kk_ciphertext, &reg.kk_number));
    assert!(sealed.nik_ciphertext.len() > reg.nik.len());
    assert_eq!(
        app.store.decrypt_nik(&reg.id).await.expect("decrypt"),
        Some(reg.nik.clone())
    );
}

#[tokio::test]
async fn another_data_key_cannot_decrypt_the_nik() {
    let app = TestStore::spawn().await;
    let reg = registration(21);
    record(&app, reg.clone(), verified()).await;
    let other = Store::connect(StoreConfig::new(
        app.db.url.clone(),
        DataKey::from_bytes(&[7; 32]).expect("key"),
    ))
    .await
    .expect("connect");

    let result = other.decrypt_nik(&reg.id).await;

    assert!(matches!(result, Err(StoreError::Crypto)), "{result:?}");
}

#[tokio::test]
async fn a_store_without_a_data_key_reads_statuses_but_never_personal_data() {
    let app = TestStore::spawn().await;
    let reg = registration(23);
    record(&app, reg.clone(), verified()).await;
    let reader = Store::connect(StoreConfig::without_personal_data(app.db.url.clone()))
        .await
        .expect("connect");

    let status = reader.registration_status(&reg.id).await.expect("status");
    let decrypted = reader.decrypt_nik(&reg.id).await;
    let stored = reader
        .record_verifications(&[crate::helpers::verification(registration(24), verified())])
        .await;

    assert!(status.is_some());
    assert!(
        matches!(decrypted, Err(StoreError::Config(_))),
        "{decrypted:?}"
    );
    assert!(matches!(stored, Err(StoreError::Config(_))), "{stored:?}");
}

#[test]
fn debug_of_a_new_registration_shows_no_personal_data() {
    let reg = registration(22);

    let shown = format!("{reg:?}");

    for secret in [
        &reg.nik,
        &reg.kk_number,
        &reg.full_name,
        &reg.email,
        &reg.phone,
    ] {
        assert!(!shown.contains(secret.as_str()), "{shown}");
    }
    assert!(shown.contains(&reg.id.to_string()));
}
