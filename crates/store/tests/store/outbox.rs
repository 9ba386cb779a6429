//! The transactional outbox: events written with their change, marked once
//! the broker confirmed them, leased by one relay at a time when stale.

use std::time::Duration;

use crate::helpers::{TestStore, record, registration, verified};

#[tokio::test]
async fn a_recorded_event_stays_unpublished_until_marked_and_marking_twice_is_harmless() {
    let app = TestStore::spawn().await;
    let reg = registration(30);
    record(&app, reg.clone(), verified()).await;

    let pending = app.store.unpublished_events(&[reg.id]).await.expect("read");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].0, reg.id);
    assert_eq!(pending[0].1.routing_key, "registration.verified");
    let event_id = pending[0].1.event_id;

    app.store.mark_published(&[event_id]).await.expect("mark");
    app.store.mark_published(&[event_id]).await.expect("again");

    assert!(
        app.store
            .unpublished_events(&[reg.id])
            .await
            .expect("read")
            .is_empty()
    );
    assert_eq!(app.store.unpublished_count().await.expect("count"), 0);
}

#[tokio::test]
async fn a_stale_event_is_leased_to_one_relay_until_its_lease_runs_out() {
    let app = TestStore::spawn().await;
    for i in 40..43 {
        record(&app, registration(i), verified()).await;
    }
    let lease = Duration::from_secs(600);

    let fresh = app
        .store
        .lease_stale_events(Duration::from_secs(3600), lease, 10)
        .await
        .expect("lease");
    let first = app
        .store
        .lease_stale_events(Duration::ZERO, lease, 2)
        .await
        .expect("lease");
    let second = app
        .store
        .lease_stale_events(Duration::ZERO, lease, 10)
        .await
        .expect("lease");
    let third = app
        .store
        .lease_stale_events(Duration::ZERO, lease, 10)
        .await
        .expect("lease");

    assert!(fresh.is_empty(), "nothing is stale yet");
    assert_eq!(first.len(), 2);
    assert_eq!(second.len(), 1, "leased events are not handed out again");
    assert!(third.is_empty());
    assert!(
        second
            .iter()
            .all(|e| first.iter().all(|f| f.event_id != e.event_id))
    );
    assert_eq!(app.store.unpublished_count().await.expect("count"), 3);
}
