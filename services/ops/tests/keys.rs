//! `keys rotate` then `keys verify` against the real PostgreSQL (fresh
//! database per test): a ring of the new key alone opens every row after the
//! rotation, the old key alone opens none of them, and erased rows are not
//! read.

// Test code: a failed unwrap is a failed test with its message.
#![allow(clippy::unwrap_used)]

#[path = "retention/fixtures.rs"]
#[allow(dead_code, unused_imports)]
mod fixtures;

use fixtures::*;
use lonjak_ops::keys::rotate;
use lonjak_ops::keys_verify::verify;

async fn store_with(env: &Env, current: (u8, DataKey), previous: Vec<(u8, DataKey)>) -> Store {
    let ring = KeyRing::new(current.0, current.1, previous).unwrap();
    Store::connect(StoreConfig::new(env.db.url.clone(), ring))
        .await
        .unwrap()
}

fn key(byte: u8) -> DataKey {
    // The fixtures' store seals under [42; 32], version 1.
    DataKey::from_bytes(&[byte; 32]).unwrap()
}

#[tokio::test]
async fn after_rotation_the_new_key_alone_opens_every_row_and_erased_rows_are_not_read() {
    let env = env().await;
    let w1 = env.open_wave(1, 1).await;
    env.register(w1, 0, 2, 3).await;
    env.announce(w1).await;
    env.announced_days_ago(w1, 100).await;
    erase(&env.store, None, &settings(90, 100), None, None)
        .await
        .unwrap();
    let w2 = env.open_wave(2, 1).await;
    env.register(w2, 100, 1, 2).await;
    let erased = env
        .count("SELECT count(*) AS n FROM registrations WHERE erased_at IS NOT NULL")
        .await;
    let kept = env
        .count("SELECT count(*) AS n FROM registrations WHERE erased_at IS NULL")
        .await as u64;
    let both = store_with(&env, (2, key(7)), vec![(1, key(42))]).await;

    let before = verify(&both, 2).await.unwrap();
    let rotated = rotate(&both, None, 2, |_| {}).await.unwrap();
    let new_alone = verify(&store_with(&env, (2, key(7)), Vec::new()).await, 2)
        .await
        .unwrap();
    let old_alone = verify(&store_with(&env, (1, key(42)), Vec::new()).await, 2)
        .await
        .unwrap();

    assert!(erased > 0, "the fixture erased someone");
    assert_eq!(before.checked, kept);
    assert_eq!(before.opened.get(&Some(1)), Some(&kept));
    assert_eq!((before.failed, before.not_current()), (0, kept));
    assert_eq!((rotated.rotated, rotated.remaining), (kept, 0));
    assert_eq!(new_alone.ring, vec![2]);
    assert_eq!(new_alone.opened.get(&Some(2)), Some(&kept));
    assert!(new_alone.all_open());
    assert!(
        new_alone.report().ends_with(&format!(
            "{kept} row(s) checked: {kept} open, 0 failed; 0 not at version 2\n"
        )),
        "{}",
        new_alone.report()
    );
    assert_eq!(old_alone.failed, kept);
    assert!(!old_alone.all_open());
    assert!(
        old_alone
            .report()
            .contains("data key version 2 is not configured"),
        "{}",
        old_alone.report()
    );
}
