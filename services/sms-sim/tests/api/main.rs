//! The simulator over HTTP: what it accepts, refuses and records.

use lonjak_sms_sim::{RunningSmsSim, SmsSimConfig, spawn};
use serde_json::{Value, json};

async fn sim(patch: Value) -> RunningSmsSim {
    let config = SmsSimConfig {
        latency_ms: 0,
        latency_jitter_ms: 0,
        ..SmsSimConfig::default()
    }
    .patched(patch)
    .expect("config");
    spawn(config).await.expect("spawn")
}

async fn send(sim: &RunningSmsSim, to: &str, key: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{}/v1/messages", sim.base_url))
        .json(&json!({"to": to, "text": "Halo"}));
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.expect("send")
}

#[tokio::test]
async fn accepted_messages_are_recorded_and_queryable_by_number() {
    let sim = sim(json!({})).await;
    assert_eq!(send(&sim, "+6281200000001", None).await.status(), 201);
    assert_eq!(send(&sim, "+6281200000002", None).await.status(), 201);

    let body: Value = reqwest::get(format!("{}/v1/messages?to=%2B6281200000001", sim.base_url))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["text"], "Halo");
    assert_eq!(sim.stats().accepted, 2);
}

#[tokio::test]
async fn a_repeated_idempotency_key_is_answered_without_a_second_message() {
    let sim = sim(json!({})).await;
    let first: Value = send(&sim, "+6281200000003", Some("k1"))
        .await
        .json()
        .await
        .expect("json");
    let again = send(&sim, "+6281200000003", Some("k1")).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.expect("json");
    assert_eq!(first["message_id"], again["message_id"]);
    assert_eq!(sim.messages(Some("+6281200000003")).len(), 1);
    assert_eq!(sim.stats().duplicates, 1);
}

#[tokio::test]
async fn beyond_capacity_the_answer_is_429_with_retry_after() {
    let sim = sim(json!({"capacity_per_sec": 1, "burst": 2})).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..4 {
        let response = send(&sim, "+6281200000004", None).await;
        if response.status() == 429 {
            retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(&statuses[..2], &[201, 201]);
    assert!(statuses[2..].contains(&429), "{statuses:?}");
    assert!(retry_after.is_some_and(|secs| secs >= 1), "{retry_after:?}");
    assert_eq!(sim.attempts(Some("+6281200000004")).len(), 4);
    assert!(sim.stats().throttled >= 1);
}

#[tokio::test]
async fn unknown_numbers_are_refused_for_good_and_errors_are_transient() {
    let sim = sim(json!({})).await;
    assert_eq!(send(&sim, "+62899000001", None).await.status(), 400);
    assert_eq!(send(&sim, "not-a-number", None).await.status(), 400);

    sim.reconfigure(json!({"error_rate": 1.0}))
        .expect("reconfigure");
    assert_eq!(send(&sim, "+6281200000005", None).await.status(), 503);
    assert!(sim.messages(None).is_empty());
    let stats = sim.stats();
    assert_eq!((stats.refused, stats.failed), (2, 1));
}

#[tokio::test]
async fn the_configuration_is_read_and_changed_over_http() {
    let sim = sim(json!({})).await;
    let client = reqwest::Client::new();
    let changed = client
        .put(format!("{}/admin/config", sim.base_url))
        .json(&json!({"capacity_per_sec": 3}))
        .send()
        .await
        .expect("put");
    assert_eq!(changed.status(), 200);
    let bad = client
        .put(format!("{}/admin/config", sim.base_url))
        .json(&json!({"error_rate": -1}))
        .send()
        .await
        .expect("put");
    assert_eq!(bad.status(), 422);
    let config: Value = reqwest::get(format!("{}/admin/config", sim.base_url))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(config["capacity_per_sec"], 3);
}
