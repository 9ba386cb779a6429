//! Intake: what is accepted lands on the queue; what is not, never does.

use serde_json::{Value, json};

use crate::helpers::{open_applicant, spawn_app, valid_body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_registration_is_on_the_queue_with_envelope_and_headers() {
    let app = spawn_app().await;
    let body = valid_body(1);

    let resp = app.post_json(&body).await;

    assert_eq!(resp.status(), 202);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let receipt: Value = resp.json().await.unwrap();
    let id = receipt["registration_id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    assert_eq!(receipt["status"], "queued");
    assert_eq!(receipt["status_url"], format!("/v1/registrations/{id}"));
    assert_eq!(location, format!("/v1/registrations/{id}"));

    let messages = app.drain_intake().await;
    assert_eq!(messages.len(), 1);
    let msg = &messages[0];
    let envelope: Value = serde_json::from_slice(&msg.data).unwrap();
    assert_eq!(envelope["schema_version"], 1);
    assert_eq!(envelope["event_type"], "registration.submitted");
    assert_eq!(envelope["payload"]["registration_id"], id.as_str());
    let raw = String::from_utf8_lossy(&msg.data);
    for field in [
        "nik",
        "kk_number",
        "full_name",
        "birth_date",
        "email",
        "phone",
    ] {
        let value = body[field].as_str().expect("a string field");
        assert!(!raw.contains(value), "{field} in clear on the queue");
    }
    assert_eq!(
        open_applicant(&msg.data).nik.as_deref(),
        body["nik"].as_str()
    );
    let props = &msg.properties;
    assert_eq!(props.delivery_mode(), &Some(2), "persistent");
    assert_eq!(
        props.message_id().as_ref().map(|s| s.as_str().to_owned()),
        envelope["event_id"].as_str().map(str::to_owned)
    );
    assert_eq!(
        props.content_type().as_ref().map(|s| s.as_str()),
        Some("application/json")
    );
    let headers = props.headers().as_ref().expect("headers");
    let trace =
        lonjak_bus::TraceContext::from_headers(Some(headers)).expect("valid traceparent header");
    assert_eq!(trace.trace_id().len(), 32);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resubmitting_the_same_nik_and_wave_returns_the_same_id() {
    let app = spawn_app().await;
    let body = valid_body(2);

    let first: Value = app.post_json(&body).await.json().await.unwrap();
    let second_resp = app.post_json(&body).await;
    assert_eq!(second_resp.status(), 202);
    let second: Value = second_resp.json().await.unwrap();

    assert_eq!(first["registration_id"], second["registration_id"]);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_registration_names_every_bad_field_and_never_reaches_the_queue() {
    let app = spawn_app().await;
    let mut body = valid_body(3);
    body["nik"] = json!("1234");
    body["email"] = json!("not-an-email");
    body.as_object_mut().unwrap().remove("phone");

    let resp = app.post_json(&body).await;

    assert_eq!(resp.status(), 422);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let problem: Value = resp.json().await.unwrap();
    let fields: Vec<(&str, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["rule"].as_str().unwrap()))
        .collect();
    assert!(fields.iter().any(|(f, _)| *f == "nik"), "{fields:?}");
    assert!(fields.iter().any(|(f, _)| *f == "email"), "{fields:?}");
    assert!(fields.contains(&("phone", "required")), "{fields:?}");
    assert_eq!(problem["status"], 422);
    assert!(app.drain_intake().await.is_empty());
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_of_the_wrong_json_type_is_a_422_naming_it() {
    let app = spawn_app().await;
    let mut body = valid_body(4);
    body["in_education"] = json!("yes");

    let resp = app.post_json(&body).await;

    assert_eq!(resp.status(), 422);
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "in_education");
    assert_eq!(problem["errors"][0]["rule"], "type");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_oversized_and_non_json_bodies_get_precise_problems() {
    let app = spawn_app().await;
    let url = format!("{}/v1/registrations", app.base);
    let post = |body: Vec<u8>, ctype: &'static str| {
        app.client
            .post(&url)
            .header("content-type", ctype)
            .body(body)
            .send()
    };

    let malformed = post(b"{\"nik\": ".to_vec(), "application/json")
        .await
        .unwrap();
    let not_object = post(b"[1,2]".to_vec(), "application/json").await.unwrap();
    let oversized = post(vec![b' '; 17 * 1024], "application/json")
        .await
        .unwrap();
    let wrong_type = post(b"nik=1".to_vec(), "application/x-www-form-urlencoded")
        .await
        .unwrap();

    assert_eq!(malformed.status(), 400);
    assert_eq!(not_object.status(), 400);
    assert_eq!(oversized.status(), 413);
    assert_eq!(wrong_type.status(), 415);
    for resp in [malformed, not_object, oversized, wrong_type] {
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }
    assert!(app.drain_intake().await.is_empty());
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wave_that_is_not_open_is_refused_with_422() {
    let app = spawn_app().await;
    let mut body = valid_body(5);
    body["wave"] = json!(7);

    let resp = app.post_json(&body).await;

    assert_eq!(resp.status(), 422);
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "wave");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_is_carried_to_the_queue_and_an_unknown_language_is_a_422() {
    let app = spawn_app().await;
    let mut english = valid_body(6);
    english["language"] = json!("en");
    let mut klingon = valid_body(7);
    klingon["language"] = json!("tlh");

    let accepted = app.post_json(&english).await;
    let refused = app.post_json(&klingon).await;

    assert_eq!(accepted.status(), 202);
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["errors"].as_array().unwrap().len(), 1);
    assert_eq!(problem["errors"][0]["field"], "language");
    assert_eq!(problem["errors"][0]["rule"], "one_of");
    let messages = app.drain_intake().await;
    assert_eq!(messages.len(), 1, "only the English registration is queued");
    let envelope: Value = serde_json::from_slice(&messages[0].data).unwrap();
    assert!(envelope["payload"]["applicant"]["key_id"].is_string());
    assert_eq!(
        open_applicant(&messages[0].data).language.as_deref(),
        Some("en")
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_and_probes_are_public_and_metrics_only_on_the_ops_port() {
    let app = spawn_app().await;
    app.post_json(&valid_body(6)).await;

    let openapi: Value = app.get("/openapi.json").await.json().await.unwrap();
    let health = app.get("/healthz").await;
    let ready = app.get("/readyz").await;
    let public_metrics = app.get("/metrics").await;
    let ops_ready = app
        .client
        .get(format!("{}/readyz", app.ops_base))
        .send()
        .await
        .unwrap();
    let metrics = app.metrics().await;

    assert!(openapi["openapi"].as_str().unwrap().starts_with("3."));
    assert!(openapi["paths"]["/v1/registrations"]["post"].is_object());
    assert_eq!(health.status(), 200);
    assert_eq!(ready.status(), 200);
    assert_eq!(ops_ready.status(), 200);
    assert_eq!(public_metrics.status(), 404);
    assert!(
        metrics.contains("lonjak_intake_requests_total{outcome=\"accepted\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("lonjak_intake_publish_duration_seconds_bucket"),
        "{metrics}"
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_get_4xx_never_a_5xx_and_never_reach_the_queue() {
    let app = spawn_app().await;
    let url = format!("{}/v1/registrations", app.base);
    let long = "A".repeat(15_000);
    let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let mut hostile: Vec<Vec<u8>> = vec![
        deep.into_bytes(),
        format!("{{\"nik\": \"{long}\"}}").into_bytes(),
        b"{\"nik\": 1e999999, \"wave\": 99999999999999999999999}".to_vec(),
        b"{\"full_name\": \"Siti\\u0000Rahayu\", \"email\": \"\\ud800\"}".to_vec(),
        b"{\"nik\": null, \"wave\": -1, \"in_education\": \"true\"}".to_vec(),
        vec![0xff, 0xfe, 0x00, b'{'],
        b"{}".to_vec(),
        b"".to_vec(),
    ];
    let mut with_controls = valid_body(7);
    with_controls["full_name"] = json!("Siti\u{202e}\u{0007}Rahayu");
    hostile.push(serde_json::to_vec(&with_controls).unwrap());

    for body in hostile {
        let resp = app
            .client
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        assert!(matches!(status, 400 | 413 | 422), "status {status}");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }
    assert!(app.drain_intake().await.is_empty());
    assert!(!app.metrics().await.contains("outcome=\"internal\""));
    app.cleanup().await;
}
