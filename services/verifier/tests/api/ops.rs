//! The operations endpoints of a running verifier.

use time::OffsetDateTime;

use crate::applicants::{Profile, applicant};
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_ops_endpoints_report_liveness_readiness_and_metrics() {
    let app = spawn_app().await;
    let submission = app.submission_at(&applicant(Profile::Clean), OffsetDateTime::now_utc());
    app.publish(&submission).await;
    app.final_status(&submission.id).await;
    // The row is final at the commit; the delivery is counted after its
    // event is confirmed and it is acked, a moment later.
    app.eventually("the delivery is counted", async || {
        app.processed("verified") == 1
    })
    .await;
    let base = format!("http://{}", app.settings.ops.addr);
    let client = reqwest::Client::new();

    let healthz = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    let readyz = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz");
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics body");

    assert_eq!(healthz.status(), 200);
    assert_eq!(readyz.status(), 200);
    assert!(
        metrics
            .contains(r#"lonjak_worker_deliveries_total{worker="verifier",outcome="verified"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("lonjak_verifier_registry_call_duration_seconds_bucket"));
    assert!(metrics.contains(r#"lonjak_verifier_registry_circuit_state{registry="dukcapil"} 0"#));
    app.stop().await;
}
