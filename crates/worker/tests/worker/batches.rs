//! Batching: deliveries are gathered into batches, processed and acked, and
//! shutdown finishes what is in hand.

use lonjak_bus::WorkQueue;
use lonjak_worker::WorkerSettings;

use crate::helpers::{eventually, lock, settings, spawn};

#[tokio::test]
async fn every_delivery_is_processed_once_in_batches_and_acked() {
    let mut worker = spawn(settings()).await;
    let ids = worker.publish(0..60).await;

    eventually("all sixty processed", async || {
        lock(&worker.script.done).len() >= 60
    })
    .await;
    worker.stop().await;

    let mut done = worker.script.done_ids();
    done.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(done, expected, "each delivery processed exactly once");
    let calls = lock(&worker.script.calls).clone();
    assert!(
        calls.iter().any(|size| *size > 1),
        "deliveries were batched: {calls:?}"
    );
    assert!(calls.iter().all(|size| *size <= 20), "{calls:?}");
    assert_eq!(worker.ready_in(&worker.queue(WorkQueue::Verifier)).await, 0);
    assert_eq!(worker.metrics.settled_count("processed"), 60);
}

#[tokio::test]
async fn a_lone_delivery_is_not_kept_waiting_for_a_full_batch() {
    let worker = spawn(WorkerSettings {
        batch_size: 1000,
        linger_ms: 20,
        ..settings()
    })
    .await;

    worker.publish(0..1).await;

    eventually("the single delivery processed", async || {
        lock(&worker.script.done).len() == 1
    })
    .await;
}

#[tokio::test]
async fn graceful_shutdown_stops_taking_deliveries_and_leaves_the_rest_queued() {
    let script = std::sync::Arc::new(crate::helpers::Script::default());
    let mut worker = crate::helpers::spawn_with(settings(), script).await;
    worker.publish(0..5).await;
    eventually("the first five processed", async || {
        lock(&worker.script.done).len() == 5
    })
    .await;

    worker.stop().await;
    worker.publish(5..15).await;

    assert_eq!(lock(&worker.script.done).len(), 5);
    assert_eq!(
        worker.ready_in(&worker.queue(WorkQueue::Verifier)).await,
        10,
        "what came after shutdown waits in the queue"
    );
}
