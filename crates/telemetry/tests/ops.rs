//! The ops endpoints served on their own port, as workers use them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use lonjak_telemetry::CancellationToken;
use lonjak_telemetry::ops::{OpsState, serve};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;

#[tokio::test]
async fn ops_server_reports_health_readiness_and_metrics_then_stops() {
    let mut registry = Registry::default();
    let counter: Counter = Counter::default();
    registry.register(
        "lonjak_test_events",
        "Events seen by the test",
        counter.clone(),
    );
    counter.inc_by(3);
    let ready = Arc::new(AtomicBool::new(false));
    let flag = ready.clone();
    let state = OpsState::new(Arc::new(registry), move || {
        let up = flag.load(Ordering::SeqCst);
        async move {
            if up {
                Ok(())
            } else {
                Err("broker down".to_owned())
            }
        }
    });
    let shutdown = CancellationToken::new();
    let ops = serve("127.0.0.1:0", state, shutdown.clone()).expect("bind");
    let base = format!("http://{}", ops.addr);
    let client = reqwest::Client::new();

    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let not_ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(not_ready.status(), 503);
    assert!(not_ready.text().await.unwrap().contains("broker down"));
    ready.store(true, Ordering::SeqCst);
    assert_eq!(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("lonjak_test_events_total 3"), "{metrics}");

    shutdown.cancel();
    ops.task.await.unwrap().unwrap();
}
