//! Live reconfiguration through `PUT /admin/config`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{applicant, assert_problem, json_with_status, spawn_sim, unthrottled};

#[tokio::test]
async fn a_partial_reconfiguration_takes_effect_on_the_next_request_and_keeps_other_keys() {
    let app = spawn_sim(unthrottled()).await;
    let (nik, birth_date) = applicant(3);
    let before = json_with_status(app.get("/admin/config").await, StatusCode::OK).await;

    let applied = json_with_status(
        app.put_config(json!({"fractions": {"not_found": 1.0}, "dtks": {"latency_ms": 1}}))
            .await,
        StatusCode::OK,
    )
    .await;

    assert_eq!(applied["fractions"]["not_found"], 1.0);
    assert_eq!(
        applied["fractions"]["in_education"],
        before["fractions"]["in_education"]
    );
    assert_eq!(applied["dtks"]["latency_ms"], 1);
    assert_eq!(applied["dukcapil"], before["dukcapil"]);
    let now = json_with_status(app.get("/admin/config").await, StatusCode::OK).await;
    assert_eq!(now, applied);
    let identity = json_with_status(app.dukcapil(&nik, &birth_date).await, StatusCode::OK).await;
    assert_eq!(identity["found"], false);
}

#[tokio::test]
async fn taking_a_registry_down_and_up_again_through_admin_config() {
    let app = spawn_sim(unthrottled()).await;
    let nik = applicant(4).0;

    json_with_status(
        app.put_config(json!({"down": ["dtks"]})).await,
        StatusCode::OK,
    )
    .await;
    assert_problem(app.dtks(&nik).await, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(app.dapodik(&nik).await.status(), StatusCode::OK);

    json_with_status(app.put_config(json!({"down": []})).await, StatusCode::OK).await;
    assert_eq!(app.dtks(&nik).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_invalid_reconfiguration_is_refused_with_400_and_changes_nothing() {
    let app = spawn_sim(unthrottled()).await;
    let before = json_with_status(app.get("/admin/config").await, StatusCode::OK).await;

    for patch in [
        json!({"dukcapil": {"error_rate": 2.0}}),
        json!({"dukcapil": {"no_such_key": 1}}),
        json!({"down": ["kemnaker"]}),
        json!({"listen": "0.0.0.0:1"}),
    ] {
        assert_problem(app.put_config(patch).await, StatusCode::BAD_REQUEST).await;
    }

    let after = json_with_status(app.get("/admin/config").await, StatusCode::OK).await;
    assert_eq!(before, after);
}

#[tokio::test]
async fn the_in_process_handle_reconfigures_like_the_admin_endpoint() {
    let app = spawn_sim(unthrottled()).await;

    app.sim
        .reconfigure(json!({"dapodik": {"max_concurrent": 7}}))
        .expect("patch applies");

    let config = json_with_status(app.get("/admin/config").await, StatusCode::OK).await;
    assert_eq!(config["dapodik"]["max_concurrent"], 7);
    assert_eq!(app.sim.config().dapodik.max_concurrent, 7);
}
