//! A publish that reached the broker but whose confirm never came back is
//! answered honestly: "may have been received", and resubmitting is safe.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{spawn_app_with, test_settings, valid_body};

/// A TCP relay to the real broker that can withhold everything the broker
/// sends back (confirms included) while still passing what the client sends.
struct ConfirmGate {
    port: u16,
    hold: Arc<AtomicBool>,
}

impl ConfirmGate {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hold = Arc::new(AtomicBool::new(false));
        let gate = hold.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(broker) = TcpStream::connect("127.0.0.1:5672").await else {
                    continue;
                };
                let (mut client_rx, mut client_tx) = client.into_split();
                let (mut broker_rx, mut broker_tx) = broker.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut client_rx, &mut broker_tx).await;
                });
                let gate = gate.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        while gate.load(Ordering::SeqCst) {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                        match broker_rx.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                // Bytes read just as the gate closed wait for it to open.
                                while gate.load(Ordering::SeqCst) {
                                    tokio::time::sleep(Duration::from_millis(10)).await;
                                }
                                if client_tx.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
        Self { port, hold }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_confirm_is_a_503_saying_it_may_be_stored_and_a_resubmission_gets_the_receipt() {
    let gate = ConfirmGate::start().await;
    let mut settings = test_settings();
    settings.bus.url = format!("amqp://guest:guest@127.0.0.1:{}/%2f", gate.port).into();
    settings.bus.publish_timeout_ms = 1_000;
    let app = spawn_app_with(settings).await;
    let mut ready = false;
    for _ in 0..200 {
        let probe = app
            .client
            .get(format!("{}/readyz", app.ops_base))
            .send()
            .await;
        if probe.is_ok_and(|r| r.status() == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "gateway did not connect through the relay");
    let body = valid_body(90);

    gate.hold.store(true, Ordering::SeqCst);
    let unconfirmed = app.post_json(&body).await;
    gate.hold.store(false, Ordering::SeqCst);

    assert_eq!(unconfirmed.status(), 503);
    assert!(unconfirmed.headers().contains_key("retry-after"));
    let problem: Value = unconfirmed.json().await.unwrap();
    assert_eq!(problem["type"], "https://lonjak.dev/problems/unconfirmed");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("may have been received"), "{detail}");
    assert!(detail.contains("Resubmitting is safe"), "{detail}");
    // It was in fact stored: the broker had it, only the confirm was withheld.
    let mut stored = Vec::new();
    for _ in 0..50 {
        stored = app.drain_intake().await;
        if !stored.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stored.len(), 1);
    let stored: Value = serde_json::from_slice(&stored[0].data).unwrap();

    let resubmitted = app.post_json(&body).await;
    assert_eq!(resubmitted.status(), 202);
    let receipt: Value = resubmitted.json().await.unwrap();
    assert_eq!(
        receipt["registration_id"],
        stored["payload"]["registration_id"]
    );
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("lonjak_intake_requests_total{outcome=\"unconfirmed\"} 1"),
        "{metrics}"
    );
    app.cleanup().await;
}
