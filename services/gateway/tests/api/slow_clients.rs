//! Slow bodies (slowloris): clients trickling their bodies hold a
//! connection each, never an in-flight slot, and get 408 at the deadline.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app_with, test_settings, valid_body};

const SLOW_CLIENTS: usize = 6;

/// Sends the head and the first bytes of a body, then one byte every 100 ms
/// until the server answers; returns the status line.
async fn trickle(addr: String) -> String {
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /v1/registrations HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: 400\r\n\r\n{{\"nik\": \""
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    for _ in 0..300 {
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Ok(Err(_)) => break,
            Err(_) => {
                if stream.write_all(b"1").await.is_err() {
                    break;
                }
            }
        }
    }
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_hold_no_publish_slot_and_get_408_at_the_deadline() {
    let mut settings = test_settings();
    settings.admission.max_inflight = 2;
    settings.http.body_timeout_ms = 2_000;
    let app = spawn_app_with(settings).await;
    let addr = app.base.trim_start_matches("http://").to_owned();

    let slow: Vec<_> = (0..SLOW_CLIENTS)
        .map(|_| tokio::spawn(trickle(addr.clone())))
        .collect();
    // Let every slow client get its request in and start trickling.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut prompt = Vec::new();
    for i in 0..3 {
        prompt.push(app.post_json(&valid_body(80 + i)).await.status().as_u16());
    }
    let mut slow_answers = Vec::new();
    for client in slow {
        slow_answers.push(client.await.unwrap());
    }

    // More slow clients than in-flight slots, yet prompt clients are served.
    assert_eq!(prompt, [202, 202, 202]);
    for answer in &slow_answers {
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    }
    assert_eq!(app.drain_intake().await.len(), 3);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(&format!(
            "lonjak_intake_requests_total{{outcome=\"body_timeout\"}} {SLOW_CLIENTS}"
        )),
        "{metrics}"
    );
    app.cleanup().await;
}
