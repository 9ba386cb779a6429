//! Strict answers: unknown fields, unknown routes and wrong methods get
//! problem+json; status look-ups are rate-limited per client.

use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_with, test_settings, valid_body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_are_a_422_naming_each_and_nothing_is_queued() {
    let app = spawn_app().await;
    let mut body = valid_body(60);
    body["wvae"] = json!(2);
    body["nickname"] = json!("Siti");

    let resp = app.post_json(&body).await;

    assert_eq!(resp.status(), 422);
    let problem: Value = resp.json().await.unwrap();
    let mut named: Vec<(&str, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["rule"].as_str().unwrap()))
        .collect();
    named.sort_unstable();
    assert_eq!(named, [("nickname", "unknown"), ("wvae", "unknown")]);
    assert!(app.drain_intake().await.is_empty());
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_are_reported_together_with_invalid_ones() {
    let app = spawn_app().await;
    let mut body = valid_body(61);
    body["email"] = json!("not-an-email");
    body["colour"] = json!("blue");

    let problem: Value = app.post_json(&body).await.json().await.unwrap();

    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["colour", "email"]);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_forbids_additional_properties() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert_eq!(
        doc["components"]["schemas"]["RegistrationBody"]["additionalProperties"],
        json!(false)
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_wrong_methods_answer_problem_json() {
    let app = spawn_app().await;

    let missing = app.get("/v2/nothing-here").await;
    let wrong_method = app
        .client
        .delete(format!("{}/v1/registrations", app.base))
        .send()
        .await
        .unwrap();
    let get_collection = app.get("/v1/registrations").await;
    let post_status = app
        .client
        .post(format!("{}/v1/registrations/abc", app.base))
        .send()
        .await
        .unwrap();

    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    for (resp, allow) in [
        (wrong_method, "POST"),
        (get_collection, "POST"),
        (post_status, "GET"),
    ] {
        assert_eq!(resp.status(), 405);
        assert_eq!(resp.headers()["allow"], allow);
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(problem["status"], 405);
    }
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_look_ups_are_limited_per_client() {
    let mut settings = test_settings();
    settings.admission.status_per_sec = 1;
    settings.admission.status_burst = 3;
    settings.admission.trusted_proxies = vec!["127.0.0.0/8".to_owned()];
    let app = spawn_app_with(settings).await;
    let path = format!("{}/v1/registrations/unknown-id", app.base);
    let look_up = |client: &'static str| {
        app.client
            .get(&path)
            .header("x-forwarded-for", client)
            .send()
    };

    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(look_up("198.51.100.1").await.unwrap().status().as_u16());
    }
    let other = look_up("198.51.100.2").await.unwrap();

    assert_eq!(statuses, [404, 404, 404, 429]);
    assert_eq!(other.status(), 404);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("lonjak_status_requests_total{outcome=\"rate_limited\"} 1"),
        "{metrics}"
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_first_forwarded_for_line_does_not_choose_the_key() {
    let mut settings = test_settings();
    settings.admission.client_per_sec = 1;
    settings.admission.client_burst = 1;
    settings.admission.trusted_proxies = vec!["127.0.0.0/8".to_owned()];
    let app = spawn_app_with(settings).await;
    let send = |forged: &'static str, i: u64| {
        app.client
            .post(format!("{}/v1/registrations", app.base))
            .header("x-forwarded-for", forged)
            .header("x-forwarded-for", "198.51.100.9")
            .json(&valid_body(i))
            .send()
    };

    let first = send("203.0.113.1", 62).await.unwrap();
    // A different forged line, same real client (the proxy's line): limited.
    let second = send("203.0.113.2", 63).await.unwrap();

    assert_eq!(first.status(), 202);
    assert_eq!(second.status(), 429);
    app.cleanup().await;
}
