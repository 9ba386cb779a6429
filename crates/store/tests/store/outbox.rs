//! The transactional outbox: events written with their transition, then
//! marked once the broker confirmed them.

use lonjak_store::CompleteExtra;

use crate::helpers::{TestStore, event, registration, verified};

#[tokio::test]
async fn a_completed_transition_leaves_its_event_unpublished_until_marked() {
    let app = TestStore::spawn().await;
    let reg = registration(30);
    app.store.begin_verification(&reg).await.expect("begin");
    let sent = event("registration.verified");

    app.store
        .complete(&reg.id, verified(), CompleteExtra::default(), sent.clone())
        .await
        .expect("complete");

    let pending = app.store.unpublished_event(&reg.id).await.expect("read");
    assert_eq!(pending, Some(sent.clone()));

    app.store.mark_published(sent.event_id).await.expect("mark");

    assert_eq!(
        app.store.unpublished_event(&reg.id).await.expect("read"),
        None
    );
}

#[tokio::test]
async fn marking_an_event_published_twice_is_harmless() {
    let app = TestStore::spawn().await;
    let reg = registration(31);
    app.store.begin_verification(&reg).await.expect("begin");
    let sent = event("registration.verified");
    app.store
        .complete(&reg.id, verified(), CompleteExtra::default(), sent.clone())
        .await
        .expect("complete");

    app.store
        .mark_published(sent.event_id)
        .await
        .expect("first");
    app.store
        .mark_published(sent.event_id)
        .await
        .expect("second");

    assert_eq!(
        app.store.unpublished_event(&reg.id).await.expect("read"),
        None
    );
}

#[tokio::test]
async fn a_registration_that_is_only_verifying_has_no_event_to_publish() {
    let app = TestStore::spawn().await;
    let reg = registration(32);

    app.store.begin_verification(&reg).await.expect("begin");

    assert_eq!(
        app.store.unpublished_event(&reg.id).await.expect("read"),
        None
    );
}
