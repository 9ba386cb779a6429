//! Retention against the real PostgreSQL (fresh database per test) and the
//! local S3 object store: the plan, the erasure, what it keeps, and runs
//! that stop in the middle.

// Test code: a failed unwrap is a failed test with its message.
#![allow(clippy::unwrap_used)]

mod fixtures;

use fixtures::*;

#[tokio::test]
async fn erasure_does_what_the_plan_said_keeps_the_skeleton_and_leaves_the_rest_alone() {
    let env = env().await;
    let objects = objects().await;
    // Wave 1, announced 100 days ago: 2 rejected, 1 selected, 3 waitlisted
    // (one of whom re-joins wave 3). Wave 2, announced now: not due.
    let w1 = env.open_wave(1, 1).await;
    let w2 = env.open_wave(2, 1).await;
    env.register(w1, 0, 2, 4).await;
    env.register(w2, 100, 1, 2).await;
    env.announce(w1).await;
    env.announce(w2).await;
    let w3 = env.open_wave(3, 1).await;
    let waitlisted = env.ids_in(w1, "waitlisted").await;
    let rejoined = RegistrationId::parse(&waitlisted[0]).unwrap();
    assert_eq!(
        env.store.rejoin_next_wave(&rejoined).await.unwrap(),
        Rejoin::Rejoined { from: 1, to: 3 }
    );
    env.announced_days_ago(w1, 100).await;
    let rejected = env.ids_in(w1, "rejected").await;
    let selected = env.ids_in(w1, "selected").await;
    let erased_photo = env.photo(&objects, &rejected[0]).await;
    let kept_photo = env.photo(&objects, &selected[0]).await;
    env.run_sql("INSERT INTO waitroom_waves (wave_id, opens_at) VALUES (1, now())")
        .await;
    env.run_sql(&format!(
        "INSERT INTO waitroom_tickets (id, wave_id, client_key, draw, registration_id)
         VALUES (gen_random_uuid(), 1, '\\x{}', 1, '{}')",
        "ab".repeat(32),
        rejected[1]
    ))
    .await;
    let skeleton = env.skeleton().await;
    let funnel = env.store.funnel(w1).await.unwrap();
    let settings = settings(90, 2);

    let planned = plan(&env.store, &settings, None).await.unwrap();
    let done = erase(&env.store, Some(&objects), &settings, None, None)
        .await
        .unwrap();

    let by_wave = |w: u32| planned.waves.iter().find(|p| p.wave.get() == w).unwrap();
    assert!(by_wave(1).due);
    assert_eq!((by_wave(1).rejected, by_wave(1).waitlisted), (2, 2));
    assert!(!by_wave(2).due, "announced today");
    assert_eq!((by_wave(2).rejected, by_wave(2).waitlisted), (1, 1));
    assert!(!by_wave(3).due, "open");
    assert_eq!(done.waves.len(), 1);
    assert_eq!(done.waves[0].wave, w1);
    assert_eq!(
        (done.waves[0].rejected, done.waves[0].waitlisted),
        (by_wave(1).rejected, by_wave(1).waitlisted),
        "the erasure did what the plan said"
    );
    assert!(done.complete);
    assert_eq!((done.objects_deleted, done.photos_pending), (2, 0));
    // The skeleton: states, reasons, scores, ranks, history, decisions,
    // the registries' outcomes, the funnel.
    assert_eq!(env.skeleton().await, skeleton);
    assert_eq!(env.store.funnel(w1).await.unwrap(), funnel);
    // Erased: nothing decrypts, nothing personal is left in the row.
    let erased: Vec<String> = rejected.iter().chain(&waitlisted[1..]).cloned().collect();
    assert_eq!(erased.len(), 4);
    for id in &erased {
        let id = RegistrationId::parse(id).unwrap();
        assert_eq!(env.store.decrypt_nik(&id).await.unwrap(), None);
    }
    let ids: Vec<RegistrationId> = erased
        .iter()
        .map(|id| RegistrationId::parse(id).unwrap())
        .collect();
    assert!(env.store.contacts(&ids).await.unwrap().is_empty());
    assert_eq!(
        env.count(
            "SELECT count(*) AS n FROM registrations
              WHERE erased_at IS NOT NULL AND full_name IS NULL AND email IS NULL
                AND full_name_ciphertext IS NULL AND email_ciphertext IS NULL
                AND phone_ciphertext IS NULL AND birth_date_ciphertext IS NULL
                AND octet_length(nik_ciphertext) = 0 AND octet_length(kk_ciphertext) = 0
                AND email_hash IS NULL AND phone_hash IS NULL AND submission_hash IS NULL
                AND key_version IS NULL"
        )
        .await,
        4
    );
    let original = applicant(0, w1);
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) AS n FROM registrations WHERE nik_hash = '\\x{}'",
            hex(original.nik_hash.as_bytes())
        ))
        .await,
        0,
        "no NIK hash of an erased applicant is left"
    );
    assert_eq!(
        env.count(
            "SELECT count(*) AS n FROM verification_checks v JOIN registrations r
               ON r.id = v.registration_id WHERE r.erased_at IS NOT NULL AND v.detail <> '{}'"
        )
        .await,
        0
    );
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) AS n FROM waitroom_tickets WHERE client_key = '\\x{}'",
            "ab".repeat(32)
        ))
        .await,
        0
    );
    assert_eq!(objects.head(&erased_photo.0).await.unwrap(), None);
    assert_eq!(objects.head(&erased_photo.1).await.unwrap(), None);
    // Untouched: the selected, the re-joined, the wave not due.
    assert!(objects.head(&kept_photo.1).await.unwrap().is_some());
    let untouched: Vec<String> = [selected[0].clone(), waitlisted[0].clone()]
        .into_iter()
        .chain(env.ids_in(w2, "rejected").await)
        .chain(env.ids_in(w2, "waitlisted").await)
        .collect();
    for id in &untouched {
        let id = RegistrationId::parse(id).unwrap();
        assert!(env.store.decrypt_nik(&id).await.unwrap().is_some());
    }
    assert_eq!(
        env.count("SELECT count(*) AS n FROM registrations WHERE erased_at IS NULL")
            .await,
        5
    );
    // An erased waitlisted applicant cannot re-join; they register anew.
    let erased_waitlisted = RegistrationId::parse(&waitlisted[1]).unwrap();
    assert_eq!(
        env.store
            .rejoin_next_wave(&erased_waitlisted)
            .await
            .unwrap(),
        Rejoin::Erased
    );
    let _ = w3;
}

#[tokio::test]
async fn a_second_erasure_changes_nothing() {
    let env = env().await;
    let w1 = env.open_wave(1, 1).await;
    env.register(w1, 0, 1, 3).await;
    env.announce(w1).await;
    env.announced_days_ago(w1, 91).await;
    let settings = settings(90, 500);
    let first = erase(&env.store, None, &settings, None, None)
        .await
        .unwrap();
    let after_first = env.everything().await;

    let second = erase(&env.store, None, &settings, None, None)
        .await
        .unwrap();

    assert_eq!((first.waves[0].rejected, first.waves[0].waitlisted), (1, 2));
    assert!(second.waves.is_empty());
    assert!(second.complete);
    assert_eq!(env.everything().await, after_first);
    let planned = plan(&env.store, &settings, Some(w1)).await.unwrap();
    assert_eq!(
        (
            planned.waves[0].rejected,
            planned.waves[0].waitlisted,
            planned.waves[0].erased
        ),
        (0, 0, 3)
    );
}

#[tokio::test]
async fn an_erasure_stopped_at_its_limit_or_before_its_photos_completes_on_the_next_run() {
    let env = env().await;
    let objects = objects().await;
    let w1 = env.open_wave(1, 1).await;
    env.register(w1, 0, 5, 4).await;
    env.announce(w1).await;
    env.announced_days_ago(w1, 95).await;
    let rejected = env.ids_in(w1, "rejected").await;
    let photo = env.photo(&objects, &rejected[0]).await;
    let skeleton = env.skeleton().await;
    let settings = settings(90, 3);

    // Stopped after 5 of 8, and without the object store (as if it had
    // crashed between the rows and their photos).
    let stopped = erase(&env.store, None, &settings, Some(w1), Some(5))
        .await
        .unwrap();
    let between = plan(&env.store, &settings, Some(w1)).await.unwrap();
    let photo_between = objects.head(&photo.1).await.unwrap();
    let resumed = erase(&env.store, Some(&objects), &settings, Some(w1), None)
        .await
        .unwrap();

    assert!(!stopped.complete);
    assert_eq!(stopped.waves[0].rejected + stopped.waves[0].waitlisted, 5);
    assert_eq!(stopped.photos_pending, 1);
    assert_eq!(between.waves[0].erased, 5);
    assert_eq!(between.waves[0].rejected + between.waves[0].waitlisted, 3);
    assert_eq!(between.waves[0].photos_pending, 1);
    assert!(photo_between.is_some(), "no object store: the photo waits");
    assert!(resumed.complete);
    assert_eq!(resumed.waves[0].rejected + resumed.waves[0].waitlisted, 3);
    assert_eq!((resumed.objects_deleted, resumed.photos_pending), (2, 0));
    assert_eq!(objects.head(&photo.0).await.unwrap(), None);
    assert_eq!(objects.head(&photo.1).await.unwrap(), None);
    assert_eq!(
        env.count("SELECT count(*) AS n FROM registrations WHERE erased_at IS NOT NULL")
            .await,
        8
    );
    assert_eq!(env.skeleton().await, skeleton);
}

#[tokio::test]
async fn a_wave_with_its_own_period_is_due_on_its_own_date() {
    let env = env().await;
    let w1 = env.open_wave(1, 1).await;
    env.register(w1, 0, 1, 1).await;
    env.announce(w1).await;
    env.announced_days_ago(w1, 10).await;
    let settings = settings(90, 500);

    let before = erase(&env.store, None, &settings, None, None)
        .await
        .unwrap();
    assert!(env.store.set_wave_retention(w1, Some(7)).await.unwrap());
    let planned = plan(&env.store, &settings, Some(w1)).await.unwrap();
    let after = erase(&env.store, None, &settings, None, None)
        .await
        .unwrap();

    assert!(before.waves.is_empty(), "10 days < 90: nothing due");
    assert_eq!(planned.waves[0].period_days, 7);
    assert!(planned.waves[0].due);
    assert_eq!((after.waves[0].rejected, after.waves[0].waitlisted), (1, 0));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_key_rotation_after_an_erasure_leaves_erased_rows_alone() {
    let env = env().await;
    let w1 = env.open_wave(1, 1).await;
    let regs = env.register(w1, 0, 1, 2).await;
    env.announce(w1).await;
    env.announced_days_ago(w1, 91).await;
    erase(&env.store, None, &settings(90, 500), None, None)
        .await
        .unwrap();
    let ring = KeyRing::new(
        2,
        DataKey::from_bytes(&[2; 32]).unwrap(),
        vec![(1, DataKey::from_bytes(&[42; 32]).unwrap())],
    )
    .unwrap();
    let rotating = Store::connect(StoreConfig::new(env.db.url.clone(), ring))
        .await
        .unwrap();

    let before = rotating.rows_to_rotate().await.unwrap();
    let batch = rotating.rotate_keys_batch(None, 100, None).await.unwrap();

    // Only the selected applicant is left to re-seal.
    assert_eq!(before, 1);
    assert_eq!(batch.rotated, 1);
    assert_eq!(rotating.rows_to_rotate().await.unwrap(), 0);
    let selected = env.ids_in(w1, "selected").await;
    let reg = regs
        .iter()
        .find(|r| r.id.to_string() == selected[0])
        .unwrap();
    assert_eq!(
        rotating.decrypt_nik(&reg.id).await.unwrap(),
        Some(reg.nik.clone())
    );
}
