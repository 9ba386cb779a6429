//! Health, statistics and metrics.

use reqwest::StatusCode;

use crate::helpers::{applicant, json_with_status, spawn_sim, unthrottled};

#[tokio::test]
async fn healthz_answers_200() {
    let app = spawn_sim(unthrottled()).await;

    let body = json_with_status(app.get("/healthz").await, StatusCode::OK).await;

    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn stats_count_what_each_registry_received_and_reset_zeroes_them() {
    let app = spawn_sim(unthrottled()).await;
    let (nik, birth_date) = applicant(1);
    app.dukcapil(&nik, &birth_date).await;
    app.dukcapil(&nik, &birth_date).await;
    app.dtks("not-a-nik").await;

    let stats = app.stats().await;
    assert_eq!(stats["dukcapil"].requests, 2);
    assert_eq!(stats["dukcapil"].ok, 2);
    assert_eq!(stats["dukcapil"].max_concurrent_seen, 1);
    assert_eq!(stats["dtks"].requests, 1);
    assert_eq!(stats["dtks"].bad_requests, 1);
    assert_eq!(stats["dapodik"].requests, 0);
    assert_eq!(app.sim.stats(), stats);

    let reset = app
        .client
        .post(app.url("/stats/reset"))
        .send()
        .await
        .expect("reset answers");
    assert_eq!(reset.status(), StatusCode::OK);
    let stats = app.stats().await;
    assert!(stats.values().all(|s| *s == Default::default()));
}

#[tokio::test]
async fn metrics_expose_requests_by_registry_and_outcome_and_the_in_flight_gauge() {
    let app = spawn_sim(unthrottled()).await;
    app.dapodik(&applicant(2).0).await;
    app.dapodik("123").await;

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("metrics text");

    assert!(
        text.contains("lonjak_sim_requests_total{registry=\"dapodik\",outcome=\"ok\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("lonjak_sim_requests_total{registry=\"dapodik\",outcome=\"bad_request\"} 1")
    );
    assert!(
        text.contains(
            "lonjak_sim_requests_total{registry=\"dukcapil\",outcome=\"rate_limited\"} 0"
        )
    );
    assert!(text.contains("lonjak_sim_in_flight{registry=\"dapodik\"} 0"));
}
