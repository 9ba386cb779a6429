//! Failures: one item's failure never fails its neighbours, an unavailable
//! dependency holds the batch, and a settle that fails never strands a
//! delivery.

use std::sync::atomic::Ordering;
use std::time::Duration;

use lonjak_bus::WorkQueue;
use lonjak_bus::lapin::options::QueueDeleteOptions;
use lonjak_worker::WorkerSettings;

use crate::helpers::{eventually, id_of, lock, settings, spawn};

#[tokio::test]
async fn a_poison_item_is_dead_lettered_alone_and_its_neighbours_are_done() {
    let worker = spawn(WorkerSettings {
        batch_size: 16,
        linger_ms: 300,
        ..settings()
    })
    .await;
    let poisoned = id_of(7);
    lock(&worker.script.poison).insert(poisoned);

    worker.publish(0..16).await;

    let dlq = worker.bus.topology().dlq(WorkQueue::Verifier);
    eventually("fifteen done and one dead letter", async || {
        lock(&worker.script.done).len() == 15 && worker.ready_in(&dlq).await == 1
    })
    .await;
    assert!(!worker.script.done_ids().contains(&poisoned));
    let letters = lonjak_bus::dlq::list(&worker.bus, WorkQueue::Verifier, 10)
        .await
        .expect("list");
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason.as_deref(), Some("scripted poison"));
}

#[tokio::test]
async fn a_transient_item_is_retried_alone_through_the_retry_queue() {
    let worker = spawn(settings()).await;
    let late = id_of(3);
    lock(&worker.script.retry_once).insert(late);

    worker.publish(0..10).await;

    eventually("the retried item done on its second attempt", async || {
        lock(&worker.script.done)
            .iter()
            .any(|(id, attempt, _)| *id == late && *attempt == 2)
    })
    .await;
    assert_eq!(
        lock(&worker.script.done)
            .iter()
            .filter(|(id, _, _)| *id == late)
            .count(),
        1
    );
    assert!(worker.metrics.settled_count("retried") >= 1);
}

#[tokio::test]
async fn an_unavailable_dependency_holds_the_batch_unacked_until_it_returns() {
    let worker = spawn(settings()).await;
    worker.script.unavailable.store(true, Ordering::SeqCst);

    worker.publish(0..5).await;
    eventually("the handler tried and was refused", async || {
        lock(&worker.script.calls).len() >= 3
    })
    .await;

    assert!(lock(&worker.script.done).is_empty());
    assert_eq!(
        worker
            .ready_in(&worker.bus.topology().dlq(WorkQueue::Verifier))
            .await,
        0,
        "nothing dead-lettered"
    );
    assert_eq!(
        worker
            .ready_in(
                &worker
                    .bus
                    .topology()
                    .retry_queue(WorkQueue::Verifier, Duration::from_millis(500))
            )
            .await,
        0,
        "nothing sent through the retry queues"
    );
    worker.script.unavailable.store(false, Ordering::SeqCst);
    eventually("all five done once the dependency is back", async || {
        lock(&worker.script.done).len() == 5
    })
    .await;
    assert!(
        lock(&worker.script.done)
            .iter()
            .all(|(_, attempt, _)| *attempt == 1),
        "held, not retried"
    );
}

#[tokio::test]
async fn a_dead_letter_that_cannot_be_published_is_requeued_and_the_worker_keeps_consuming() {
    // One delivery in flight at a time: a stranded delivery would stop the
    // worker, which is what this test would then see.
    let worker = spawn(WorkerSettings {
        batch_size: 1,
        concurrency: 1,
        prefetch: 1,
        ..settings()
    })
    .await;
    let (_connection, channel) = {
        let connection = lonjak_bus::lapin::Connection::connect(
            &worker.config.url,
            lonjak_bus::lapin::ConnectionProperties::default(),
        )
        .await
        .expect("raw connection");
        let channel = connection.create_channel().await.expect("channel");
        (connection, channel)
    };
    let dlq = worker.bus.topology().dlq(WorkQueue::Verifier);
    channel
        .queue_delete(dlq.as_str().into(), QueueDeleteOptions::default())
        .await
        .expect("dead-letter queue deleted");
    let first = id_of(0);
    lock(&worker.script.dead_letter_once).insert(first);

    worker.publish(0..5).await;

    eventually(
        "the refused dead letter redelivered and done, and the rest too",
        async || {
            lock(&worker.script.done)
                .iter()
                .any(|(id, _, redelivered)| *id == first && *redelivered)
                && lock(&worker.script.done).len() >= 5
        },
    )
    .await;
    assert!(worker.metrics.settle_failure_count("dead_letter") >= 1);
}
