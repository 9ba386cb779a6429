//! The sampler's queue-depth probe against the real RabbitMQ, on a queue with
//! a random name so parallel tests never share it.

use std::time::Duration;

use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use lonjak_audit::sampler::QueueDepthProbe;

const URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
const STEP: Duration = Duration::from_secs(10);

async fn within<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, fut)
        .await
        .expect("broker answered in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_reads_a_queues_depth_and_recovers_after_the_queue_was_missing() {
    let queue = format!("audit-test-{:016x}", rand::random::<u64>());
    let mut probe = QueueDepthProbe::new(URL, queue.clone());

    let before = probe.depth().await;

    let conn = within(Connection::connect(URL, ConnectionProperties::default()))
        .await
        .expect("connect");
    let channel = within(conn.create_channel()).await.expect("channel");
    within(channel.queue_declare(
        queue.as_str().into(),
        QueueDeclareOptions::default(),
        FieldTable::default(),
    ))
    .await
    .expect("declare");
    within(channel.confirm_select(ConfirmSelectOptions::default()))
        .await
        .expect("confirms");
    for _ in 0..3 {
        let confirm = within(channel.basic_publish(
            "".into(),
            queue.as_str().into(),
            BasicPublishOptions::default(),
            b"{}",
            BasicProperties::default(),
        ))
        .await
        .expect("publish");
        within(confirm).await.expect("confirmed");
    }
    let after = probe.depth().await;
    within(channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()))
        .await
        .expect("delete");

    assert_eq!(before, None);
    assert_eq!(after, Some(3));
}
