//! Key versions at rest: every personal field sealed under the current
//! version, rotation to a new one in resumable batches, and rows from before
//! versioned keys read and then sealed.

use diesel::QueryableByName;
use diesel::sql_types::{Bytea, Nullable, SmallInt, Text};
use diesel_async::RunQueryDsl;
use lonjak_domain::EmailHash;
use lonjak_domain::testing::identity_key;
use lonjak_store::testing::legacy_ciphertext;
use lonjak_store::{DataKey, KeyRing, NewRegistration, Store, StoreConfig};

use crate::helpers::{TestStore, count, data_key, record, registration, verified};

#[derive(QueryableByName, Debug)]
struct Versions {
    #[diesel(sql_type = Nullable<SmallInt>)]
    key_version: Option<i16>,
    #[diesel(sql_type = Bytea)]
    nik_ciphertext: Vec<u8>,
    #[diesel(sql_type = Nullable<Bytea>)]
    full_name_ciphertext: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Bytea>)]
    birth_date_ciphertext: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Text>)]
    email: Option<String>,
}

async fn versions(app: &TestStore) -> Vec<Versions> {
    let mut conn = app.raw().await;
    diesel::sql_query(
        "SELECT key_version, nik_ciphertext, full_name_ciphertext, birth_date_ciphertext, email \
         FROM registrations ORDER BY id",
    )
    .load(&mut conn)
    .await
    .expect("rows")
}

/// A store whose ring seals under `current` and reads `previous` too.
async fn store_with(
    app: &TestStore,
    current: (u8, DataKey),
    previous: Vec<(u8, DataKey)>,
) -> Store {
    let ring = KeyRing::new(current.0, current.1, previous).expect("ring");
    Store::connect(StoreConfig::new(app.db.url.clone(), ring))
        .await
        .expect("connect")
}

fn key_two() -> DataKey {
    DataKey::from_bytes(&[2; 32]).expect("key")
}

/// Every contact of `regs`, decrypted by `store`, matches what was recorded.
async fn assert_reads_back(store: &Store, regs: &[NewRegistration]) {
    let ids: Vec<_> = regs.iter().map(|r| r.id).collect();
    let contacts = store.contacts(&ids).await.expect("contacts");
    for reg in regs {
        let contact = &contacts[&reg.id];
        assert_eq!(contact.full_name, reg.full_name);
        assert_eq!(contact.email, reg.email);
        assert_eq!(contact.phone, reg.phone);
        assert_eq!(contact.email_hash, Some(reg.email_hash));
        assert_eq!(
            store.decrypt_nik(&reg.id).await.expect("nik"),
            Some(reg.nik.clone())
        );
    }
}

#[tokio::test]
async fn every_personal_field_is_sealed_under_the_current_version() {
    let app = TestStore::spawn().await;
    let reg = registration(40);

    record(&app, reg.clone(), verified()).await;

    let rows = versions(&app).await;
    assert_eq!(rows[0].key_version, Some(1));
    assert_eq!(rows[0].nik_ciphertext[0], 1, "the header names key 1");
    assert_eq!(rows[0].email, None, "no clear address");
    assert!(rows[0].full_name_ciphertext.is_some() && rows[0].birth_date_ciphertext.is_some());
    assert_reads_back(&app.store, &[reg]).await;
}

#[tokio::test]
async fn rotation_re_seals_every_row_under_the_new_version_and_resumes_after_an_interruption() {
    let app = TestStore::spawn().await;
    let regs: Vec<NewRegistration> = (50..57).map(registration).collect();
    for reg in &regs {
        record(&app, reg.clone(), verified()).await;
    }
    let rotator = store_with(&app, (2, key_two()), vec![(1, data_key())]).await;

    // A pass stopped after its first batch of three…
    let first = rotator
        .rotate_keys_batch(None, 3, None)
        .await
        .expect("first batch");
    assert_eq!(first.rotated, 3);
    assert_eq!(rotator.rows_to_rotate().await.expect("count"), 4);
    // …and run again from the start: the three are skipped, not redone.
    let mut after: Option<String> = None;
    let mut rotated = 0;
    loop {
        let batch = rotator
            .rotate_keys_batch(after.as_deref(), 3, None)
            .await
            .expect("batch");
        if batch.rotated == 0 {
            break;
        }
        rotated += batch.rotated;
        after = batch.last_id;
    }

    assert_eq!(rotated, 4);
    assert_eq!(rotator.rows_to_rotate().await.expect("count"), 0);
    for row in versions(&app).await {
        assert_eq!(row.key_version, Some(2));
        assert_eq!(row.nik_ciphertext[0], 2);
    }
    // Key 1 can go: a ring of key 2 alone reads everything; key 1 alone nothing.
    let only_two = store_with(&app, (2, key_two()), Vec::new()).await;
    assert_reads_back(&only_two, &regs).await;
    let only_one = store_with(&app, (1, data_key()), Vec::new()).await;
    assert!(only_one.decrypt_nik(&regs[0].id).await.is_err());
}

#[tokio::test]
async fn rows_from_before_versioned_keys_are_read_then_sealed_by_rotation() {
    let app = TestStore::spawn().await;
    let reg = registration(60);
    record(&app, reg.clone(), verified()).await;
    // Turn the row into one written before this version of the store.
    let id = reg.id.to_string();
    let mut conn = app.raw().await;
    diesel::sql_query(
        "UPDATE registrations SET key_version = NULL, nik_ciphertext = $1, kk_ciphertext = $2, \
         full_name = $3, email = $4, phone = $5, birth_date = $6::date, \
         full_name_ciphertext = NULL, email_ciphertext = NULL, phone_ciphertext = NULL, \
         birth_date_ciphertext = NULL, email_hash = NULL, phone_hash = NULL WHERE id = $7",
    )
    .bind::<Bytea, _>(legacy_ciphertext(&data_key(), false, &id, &reg.nik))
    .bind::<Bytea, _>(legacy_ciphertext(&data_key(), true, &id, &reg.kk_number))
    .bind::<Text, _>(&reg.full_name)
    .bind::<Text, _>(&reg.email)
    .bind::<Text, _>(&reg.phone)
    .bind::<Text, _>(reg.birth_date.to_string())
    .bind::<Text, _>(&id)
    .execute(&mut conn)
    .await
    .expect("legacy row");
    let rotator = store_with(&app, (2, key_two()), vec![(1, data_key())]).await;

    // Read as it is: clear columns, headerless NIK under key 1.
    let before = rotator.contacts(&[reg.id]).await.expect("contacts");
    assert_eq!(before[&reg.id].email, reg.email);
    assert_eq!(before[&reg.id].email_hash, None);
    assert_eq!(
        rotator.decrypt_nik(&reg.id).await.expect("nik"),
        Some(reg.nik.clone())
    );
    // Its contact hashes need the identity key.
    assert!(rotator.rotate_keys_batch(None, 10, None).await.is_err());
    let done = rotator
        .rotate_keys_batch(None, 10, Some(&identity_key()))
        .await
        .expect("rotate");

    assert_eq!(done.rotated, 1);
    let row = &versions(&app).await[0];
    assert_eq!((row.key_version, row.email.as_deref()), (Some(2), None));
    let clear = count(
        &app,
        "SELECT count(*) AS n FROM registrations WHERE full_name IS NOT NULL \
         OR phone IS NOT NULL OR birth_date IS NOT NULL",
    )
    .await;
    assert_eq!(clear, 0);
    let after = rotator.contacts(&[reg.id]).await.expect("contacts");
    assert_eq!(
        after[&reg.id].email_hash,
        Some(EmailHash::derive(&identity_key(), &reg.email))
    );
    assert_reads_back(&rotator, &[reg]).await;
}
