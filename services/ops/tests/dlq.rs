//! The operator's dead-letter commands against the real broker.

// Test code: a failed unwrap is a failed test with its message.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use lonjak_bus::{Bus, BusSettings, Envelope, WorkQueue};

fn ops(prefix: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lonjak-ops"))
        .args(args)
        .env("LONJAK_BUS__PREFIX", prefix)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lonjak-ops {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_without_bodies_and_replayed_to_their_work_queue() {
    // The deployment's defaults, as the command reads them, on a test prefix.
    let config = BusSettings {
        prefix: format!("test-{:08x}-", rand::random::<u32>()),
        ..BusSettings::default()
    }
    .to_config();
    let bus = Bus::connect(config.clone()).await.unwrap();
    let dlq = bus.topology().dlq(WorkQueue::Verifier);
    let secret = "3171014501900001";
    let envelope = Envelope::new(
        "registration.submitted",
        "ops-test",
        serde_json::json!({ "nik": secret }),
    );
    bus.publisher()
        .publish_to_queue(&dlq, &envelope, None)
        .await
        .unwrap();

    let listed = ops(&config.prefix, &["dlq", "list", "verifier"]);
    let replayed = ops(&config.prefix, &["dlq", "replay", "verifier"]);

    assert!(listed.starts_with("1 dead letter(s)"), "{listed}");
    assert!(listed.contains(&envelope.event_id.to_string()), "{listed}");
    assert!(!listed.contains(secret), "a dead letter's body was printed");
    assert!(
        replayed.starts_with("replayed 1 dead letter(s)"),
        "{replayed}"
    );
    let work = bus
        .queue_depth(&bus.topology().queue(WorkQueue::Verifier))
        .await
        .unwrap();
    assert_eq!(work.messages, 1);
    bus.close().await;
    lonjak_bus::delete_topology(&config).await.unwrap();
}
