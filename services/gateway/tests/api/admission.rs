//! Admission control: limits answer 429/503 with honest Retry-After.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{MemoryAlarm, spawn_app_with, test_settings, valid_body};

fn trusting_localhost(client_per_sec: u32, client_burst: u32) -> lonjak_gateway::config::Settings {
    let mut settings = test_settings();
    settings.admission.client_per_sec = client_per_sec;
    settings.admission.client_burst = client_burst;
    settings.admission.trusted_proxies = vec!["127.0.0.0/8".to_owned()];
    settings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_limit_gets_429_while_another_client_is_accepted() {
    let app = spawn_app_with(trusting_localhost(1, 2)).await;
    let alice = Some("198.51.100.1");
    let bob = Some("198.51.100.2");

    assert_eq!(app.post_from(&valid_body(30), alice).await.status(), 202);
    let second = app.post_from(&valid_body(31), alice).await;
    assert_eq!(second.status(), 202);
    assert_eq!(second.headers()["ratelimit-limit"], "2");
    assert_eq!(second.headers()["ratelimit-remaining"], "0");
    let refused = app.post_from(&valid_body(32), alice).await;
    let accepted_bob = app.post_from(&valid_body(33), bob).await;

    assert_eq!(refused.status(), 429);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    // One token per second: the next request is allowed within a second.
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(refused.headers()["ratelimit-remaining"], "0");
    assert_eq!(accepted_bob.status(), 202);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["retry_after"], 1);
    assert!(
        app.metrics()
            .await
            .contains("outcome=\"rate_limited_client\"} 1")
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_peers_forwarded_for_header_is_ignored() {
    let mut settings = trusting_localhost(1, 1);
    settings.admission.trusted_proxies.clear();
    let app = spawn_app_with(settings).await;

    assert_eq!(
        app.post_from(&valid_body(40), Some("198.51.100.1"))
            .await
            .status(),
        202
    );
    // A different forged address does not buy a fresh limit: the peer is charged.
    let forged = app.post_from(&valid_body(41), Some("198.51.100.2")).await;

    assert_eq!(forged.status(), 429);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_limit_refuses_everyone_with_429() {
    let mut settings = test_settings();
    settings.admission.global_per_sec = 1;
    settings.admission.global_burst = 2;
    let app = spawn_app_with(settings).await;

    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for i in 0..4 {
            v.push(app.post_json(&valid_body(50 + i)).await.status().as_u16());
        }
        v
    };

    assert_eq!(statuses[..2], [202, 202]);
    assert!(statuses[2..].iter().all(|s| *s == 429), "{statuses:?}");
    assert!(
        app.metrics()
            .await
            .contains("outcome=\"rate_limited_global\"} 2")
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disruptive_memory_alarm_gives_fast_503s_and_accepting_resumes_when_cleared() {
    let app = spawn_app_with(test_settings()).await;
    assert_eq!(app.post_json(&valid_body(60)).await.status(), 202);

    let alarm = MemoryAlarm::raise().await;
    let mut blocked = None;
    for i in 0..40 {
        let resp = app.post_json(&valid_body(61 + i)).await;
        if resp.status() == 503 {
            blocked = Some(resp.json::<Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let blocked = blocked.expect("the alarm never produced a 503");
    // The publish that meets the alarm was already sent: the broker may
    // store it once the alarm clears, and the answer says so.
    assert!(
        blocked["type"] == "https://lonjak.dev/problems/broker-blocked"
            || blocked["type"] == "https://lonjak.dev/problems/unconfirmed",
        "{blocked}"
    );
    // Once the gateway knows the connection is blocked, refusals are immediate.
    let resp = app.post_json(&valid_body(200)).await;
    assert_eq!(resp.status(), 503);
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(
        problem["type"],
        "https://lonjak.dev/problems/broker-blocked"
    );

    alarm.clear().await;
    let mut resumed = false;
    for i in 0..60 {
        if app.post_json(&valid_body(300 + i)).await.status() == 202 {
            resumed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(resumed, "accepting did not resume after the alarm cleared");
    app.cleanup().await;
}
