//! Tokens and roles: 401 without a valid token, 403 for a role that may
//! not, and nothing read or changed before that.

use reqwest::Method;

use crate::helpers::{problem, spawn_app};

#[tokio::test]
async fn a_request_without_a_token_is_refused_with_401_and_a_bearer_challenge() {
    let app = spawn_app().await;

    let response = app.send(Method::GET, "/v1/waves", None).await;

    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer realm=\"lonjak-admin\"")
    );
    let body = problem(response, 401).await;
    assert_eq!(body.kind, "https://lonjak.dev/problems/unauthenticated");
    assert_eq!(body.errors[0].field, "authorization");
    assert_eq!(body.errors[0].rule, "bearer");
}

#[tokio::test]
async fn a_wrong_token_is_refused_with_401_and_changes_nothing() {
    let app = spawn_app().await;
    let almost = format!("{}0", &app.operator_token[..31]);
    let wrong = if almost == app.operator_token {
        format!("{}1", &app.operator_token[..31])
    } else {
        almost
    };

    for token in [wrong.as_str(), "", "Basic abc"] {
        let response = app
            .send(Method::POST, "/v1/waves/1/open", Some(token))
            .await;
        assert!(response.headers().contains_key("www-authenticate"));
        problem(response, 401).await;
    }
    // A scheme other than Bearer carries no token either.
    let basic = app
        .http
        .post(app.url("/v1/waves/1/open"))
        .header("authorization", format!("Basic {}", app.operator_token))
        .send()
        .await
        .unwrap();
    problem(basic, 401).await;
    assert_eq!(app.count("SELECT count(*) AS n FROM waves").await, 0);
}

#[tokio::test]
async fn an_agent_may_look_up_but_not_act_as_an_operator() {
    let app = spawn_app().await;
    let agent = Some(app.agent_token.as_str());

    for (method, path) in [
        (Method::GET, "/v1/waves"),
        (Method::POST, "/v1/waves/1/selection"),
        (Method::POST, "/v1/waves/1/announcement"),
        (Method::GET, "/v1/waves/1/funnel"),
        (
            Method::GET,
            "/v1/registrations/0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f/explanation",
        ),
        (
            Method::POST,
            "/v1/registrations/0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f/rejoin",
        ),
    ] {
        let body = problem(app.send(method.clone(), path, agent).await, 403).await;
        assert_eq!(body.errors[0].rule, "role", "{method} {path}");
    }
    // The look-up is theirs: 404 for an unknown id, not 403.
    let lookup = app
        .send(
            Method::GET,
            "/v1/registrations/0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f",
            agent,
        )
        .await;
    let body = problem(lookup, 404).await;
    assert_eq!(body.errors[0].field, "registration_id");
}

#[tokio::test]
async fn refusals_are_counted_and_probes_need_no_token() {
    let app = spawn_app().await;
    app.send(Method::GET, "/v1/waves", None).await;
    app.send(Method::GET, "/v1/waves", Some(app.agent_token.as_str()))
        .await;

    assert_eq!(app.send(Method::GET, "/healthz", None).await.status(), 200);
    assert_eq!(app.send(Method::GET, "/readyz", None).await.status(), 200);
    let metrics = app
        .send(Method::GET, "/metrics", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("lonjak_admin_auth_refusals_total{reason=\"missing\"} 1"));
    assert!(metrics.contains("lonjak_admin_auth_refusals_total{reason=\"forbidden\"} 1"));
    assert!(
        !metrics.contains(&app.operator_token) && !metrics.contains(&app.agent_token),
        "a token in the metrics"
    );
}

#[tokio::test]
async fn the_openapi_document_lists_every_operation_behind_a_bearer_scheme() {
    let app = spawn_app().await;

    let doc: serde_json::Value = app
        .send(Method::GET, "/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();

    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v1/waves",
        "/v1/waves/{wave}/selection",
        "/v1/waves/{wave}/announcement",
        "/v1/waves/{wave}/funnel",
        "/v1/registrations/{id}",
        "/v1/registrations/{id}/explanation",
        "/v1/support/lookup",
        "/v1/support/registrations/{id}/verification-email",
        "/v1/support/registrations/{id}/notifications/resend",
        "/v1/support/registrations/{id}/replay-request",
        "/v1/support/replay-requests",
        "/v1/support/replay-requests/{id}/close",
        "/v1/access-log",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(
        doc["paths"]["/v1/waves/{wave}/selection"]["post"]["responses"]
            .get("401")
            .is_some()
    );
}
