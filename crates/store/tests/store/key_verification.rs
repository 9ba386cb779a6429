//! Key verification: every row's personal fields opened with a ring, counted
//! per key version, and the rows a ring cannot open named.

use diesel::sql_types::{Bytea, Text};
use diesel_async::RunQueryDsl;
use lonjak_store::{DataKey, KeyRing, NewRegistration, Store, StoreConfig, VerifiedBatch};

use crate::helpers::{TestStore, data_key, record, registration, verified};

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

/// Every batch of a pass, `limit` rows each, folded into one.
async fn verify_all(store: &Store, limit: i64) -> VerifiedBatch {
    let mut all = VerifiedBatch::default();
    let mut after: Option<String> = None;
    loop {
        let batch = store
            .verify_keys_batch(after.as_deref(), limit)
            .await
            .expect("verify");
        if batch.checked == 0 {
            return all;
        }
        all.checked += batch.checked;
        for (version, n) in batch.opened {
            *all.opened.entry(version).or_default() += n;
        }
        all.failures.extend(batch.failures);
        after = batch.last_id;
    }
}

async fn rotate_all(store: &Store) {
    let mut after: Option<String> = None;
    loop {
        let batch = store
            .rotate_keys_batch(after.as_deref(), 2, None)
            .await
            .expect("rotate");
        if batch.rotated == 0 {
            return;
        }
        after = batch.last_id;
    }
}

#[tokio::test]
async fn verification_counts_rows_per_version_and_names_those_the_ring_cannot_open() {
    let app = TestStore::spawn().await;
    let regs: Vec<NewRegistration> = (70..75).map(registration).collect();
    for reg in &regs {
        record(&app, reg.clone(), verified()).await;
    }
    let both = store_with(&app, (2, key_two()), vec![(1, data_key())]).await;
    let only_two = store_with(&app, (2, key_two()), Vec::new()).await;

    // Before the rotation: the full ring opens every row, at version 1; a
    // ring of key 2 alone opens none and says which version it lacks.
    let before = verify_all(&both, 2).await;
    let without_one = verify_all(&only_two, 2).await;
    rotate_all(&both).await;
    let after = verify_all(&only_two, 2).await;

    assert_eq!(before.checked, 5);
    assert_eq!(before.opened.get(&Some(1)), Some(&5));
    assert!(before.failures.is_empty());
    assert_eq!(without_one.failures.len(), 5);
    assert!(
        without_one.failures[0].reason.contains("version 1"),
        "{:?}",
        without_one.failures[0]
    );
    assert_eq!(after.checked, 5);
    assert_eq!(after.opened.get(&Some(2)), Some(&5));
    assert!(after.failures.is_empty(), "{:?}", after.failures);
}

#[tokio::test]
async fn a_tampered_ciphertext_or_a_header_against_key_version_fails_verification() {
    let app = TestStore::spawn().await;
    let regs: Vec<NewRegistration> = (80..83).map(registration).collect();
    for reg in &regs {
        record(&app, reg.clone(), verified()).await;
    }
    let (tampered, relabelled) = (regs[0].id.to_string(), regs[1].id.to_string());
    let mut conn = app.raw().await;
    // One email ciphertext with a flipped last byte (its tag)…
    diesel::sql_query(
        "UPDATE registrations SET email_ciphertext = \
         overlay(email_ciphertext placing $1 from length(email_ciphertext)) WHERE id = $2",
    )
    .bind::<Bytea, _>(vec![0u8])
    .bind::<Text, _>(&tampered)
    .execute(&mut conn)
    .await
    .expect("tamper");
    // …and one row that claims version 2 while its fields are under 1.
    diesel::sql_query("UPDATE registrations SET key_version = 2 WHERE id = $1")
        .bind::<Text, _>(&relabelled)
        .execute(&mut conn)
        .await
        .expect("relabel");
    let both = store_with(&app, (2, key_two()), vec![(1, data_key())]).await;

    let found = verify_all(&both, 10).await;

    let mut failed: Vec<&str> = found.failures.iter().map(|f| f.id.as_str()).collect();
    failed.sort_unstable();
    let mut expected = vec![tampered.as_str(), relabelled.as_str()];
    expected.sort_unstable();
    assert_eq!(failed, expected, "{:?}", found.failures);
    assert_eq!(found.opened.get(&Some(1)), Some(&1));
}
