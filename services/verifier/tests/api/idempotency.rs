//! Redelivery never duplicates an effect.

use time::OffsetDateTime;

use crate::applicants::{Profile, applicant};
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_same_message_delivered_twice_creates_one_row_and_one_downstream_event() {
    let app = spawn_app().await;
    let submission = app.submission_at(&applicant(Profile::Clean), OffsetDateTime::now_utc());

    app.publish(&submission).await;
    app.publish(&submission).await;

    app.final_status(&submission.id).await;
    app.eventually("both deliveries are settled", async || {
        app.processed("verified") + app.processed("duplicate") == 2
    })
    .await;
    assert_eq!(app.processed("verified"), 1);
    let (rows, history, outbox) = app.row_counts(&submission.id).await;
    assert_eq!(rows, 1);
    assert_eq!(
        history.len(),
        3,
        "queued, verifying, verified once each: {history:?}"
    );
    assert_eq!(outbox, 1);
    let events = app.downstream_events().await;
    let mine = &events[&submission.id.to_string()];
    // Concurrent deliveries may both publish the pending event; it is the
    // same event (same id), which consumers de-duplicate.
    assert!(mine.iter().all(|event| event.1 == mine[0].1), "{mine:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_second_submission_after_the_first_is_final_changes_nothing() {
    let app = spawn_app().await;
    let submission = app.submission_at(&applicant(Profile::Clean), OffsetDateTime::now_utc());
    app.publish(&submission).await;
    app.final_status(&submission.id).await;

    app.publish(&submission).await;

    app.eventually("the redelivery is settled", async || {
        app.processed("duplicate") == 1
    })
    .await;
    let (rows, history, outbox) = app.row_counts(&submission.id).await;
    assert_eq!((rows, history.len(), outbox), (1, 3, 1));
    let events = app.downstream_events().await;
    assert_eq!(events[&submission.id.to_string()].len(), 1);
    app.stop().await;
}
