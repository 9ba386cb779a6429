//! Tests that stop the broker or raise a resource alarm. They restore the
//! broker in a drop guard, even when an assertion fails, and must run alone.

use std::{process::Command, time::Duration};

use lonjak_bus::{Envelope, PublishError, WorkQueue};

use crate::helpers::{connect, next_delivery, sample, test_config};

/// Recovery after a restart includes the Erlang app start and our backoff.
const RESTART_PATIENCE: Duration = Duration::from_secs(90);

fn rabbitmqctl(args: &[&str]) {
    let status = Command::new("rabbitmqctl")
        .args(args)
        .status()
        .expect("rabbitmqctl runs");
    assert!(status.success(), "rabbitmqctl {args:?} failed");
}

/// Stops the RabbitMQ application; starts it again when dropped.
struct StoppedBroker {
    restarted: bool,
}

impl StoppedBroker {
    fn stop() -> Self {
        rabbitmqctl(&["stop_app"]);
        Self { restarted: false }
    }

    fn start(mut self) {
        rabbitmqctl(&["start_app"]);
        self.restarted = true;
    }
}

impl Drop for StoppedBroker {
    fn drop(&mut self) {
        if !self.restarted {
            let _ = Command::new("rabbitmqctl").arg("start_app").status();
        }
    }
}

/// Raises a memory alarm by lowering the watermark; restores it when dropped.
struct MemoryAlarm {
    restored: bool,
}

impl MemoryAlarm {
    fn raise() -> Self {
        rabbitmqctl(&["set_vm_memory_high_watermark", "0.000001"]);
        Self { restored: false }
    }

    fn restore(mut self) {
        rabbitmqctl(&["set_vm_memory_high_watermark", "0.4"]);
        self.restored = true;
    }
}

impl Drop for MemoryAlarm {
    fn drop(&mut self) {
        if !self.restored {
            let _ = Command::new("rabbitmqctl")
                .args(["set_vm_memory_high_watermark", "0.4"])
                .status();
        }
    }
}

async fn poll_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    tokio::time::timeout(RESTART_PATIENCE, async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("gave up waiting for {what}"));
}

#[tokio::test]
async fn disruptive_broker_restart_publishing_resumes() {
    let (bus, _cleanup) = connect(test_config()).await;
    let publisher = bus.publisher();
    for n in 0..2 {
        let envelope = Envelope::new("registration.submitted", "c", sample(n));
        publisher
            .publish("registration.submitted", &envelope, None)
            .await
            .expect("confirmed before the restart");
    }
    let mut consumer = bus
        .consumer(WorkQueue::Notifier, 5, "through-restart")
        .await
        .expect("subscribed");

    let broker = StoppedBroker::stop();
    poll_until("the bus to notice the broker is gone", || async {
        !bus.is_connected()
    })
    .await;
    let during = publisher
        .publish(
            "registration.submitted",
            &Envelope::new("registration.submitted", "c", sample(9)),
            None,
        )
        .await;
    assert!(
        matches!(
            during,
            Err(PublishError::Unavailable(_) | PublishError::Timeout)
        ),
        "{during:?}"
    );
    broker.start();

    let after = Envelope::new("registration.rejected", "c", sample(3));
    poll_until("publishing to work again", || async {
        publisher
            .publish("registration.rejected", &after, None)
            .await
            .is_ok()
    })
    .await;
    assert!(bus.is_connected());
    let depth = bus
        .queue_depth(&bus.topology().queue(WorkQueue::Verifier))
        .await
        .expect("depth");
    assert_eq!(depth.messages, 2, "confirmed messages survive the restart");
    let delivery = tokio::time::timeout(RESTART_PATIENCE, next_delivery(&mut consumer))
        .await
        .expect("the consumer re-subscribed");
    assert_eq!(
        delivery.message_id(),
        Some(after.event_id.to_string().as_str())
    );
    delivery.ack().await.expect("acked on the new channel");
    bus.close().await;
}

#[tokio::test]
async fn disruptive_memory_alarm_blocks_publishing() {
    let mut config = test_config();
    config.publish_timeout = Duration::from_millis(500);
    let (bus, _cleanup) = connect(config).await;
    let publisher = bus.publisher();
    let envelope = Envelope::new("registration.submitted", "c", sample(1));
    publisher
        .publish("registration.submitted", &envelope, None)
        .await
        .expect("confirmed before the alarm");

    let alarm = MemoryAlarm::raise();
    // The broker may announce the block only once the connection publishes.
    poll_until("the connection to be blocked", || async {
        if bus.is_blocked() {
            return true;
        }
        let _ = publisher
            .publish("registration.submitted", &envelope, None)
            .await;
        bus.is_blocked()
    })
    .await;
    let refused = publisher
        .publish("registration.submitted", &envelope, None)
        .await;
    assert!(matches!(refused, Err(PublishError::Blocked)), "{refused:?}");
    alarm.restore();

    poll_until("the connection to be unblocked", || async {
        !bus.is_blocked()
    })
    .await;
    publisher
        .publish("registration.submitted", &envelope, None)
        .await
        .expect("confirmed after the alarm cleared");
    bus.close().await;
}
