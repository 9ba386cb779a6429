//! Waves through the API: created, opened, closed, listed; every refusal a
//! problem naming the field and the rule.

use lonjak_domain::{Wave, WaveState};
use lonjak_ops::wire::CreateWave;
use reqwest::Method;

use crate::helpers::{problem, spawn_app};

fn create(wave: i64, quota: i64) -> CreateWave {
    CreateWave {
        wave,
        quota,
        ..CreateWave::default()
    }
}

#[tokio::test]
async fn an_operator_creates_opens_and_closes_a_wave() {
    let app = spawn_app().await;
    let api = &app.operator;
    let wave = Wave::new(3).unwrap();

    let created = api.create_wave(&create(3, 40)).await.unwrap();
    let opened = api.move_wave(wave, "open").await.unwrap();
    let closed = api.move_wave(wave, "close").await.unwrap();

    assert_eq!((created.state, created.quota), (WaveState::Planned, 40));
    assert!(created.email_verification_required, "the command's default");
    assert_eq!(opened.state, WaveState::Open);
    assert_eq!(closed.state, WaveState::Closed);
    assert!(closed.closes_at.is_some());
    let listed = api.waves().await.unwrap();
    assert_eq!(listed, vec![closed]);
}

#[tokio::test]
async fn a_bad_wave_number_is_a_422_naming_the_field_and_rule() {
    let app = spawn_app().await;
    let token = Some(app.operator_token.as_str());

    for (path, rule) in [
        ("/v1/waves/abc/selection", "format"),
        ("/v1/waves/0/selection", "range"),
        ("/v1/waves/1000001/open", "range"),
        ("/v1/waves/-1/funnel", "format"),
    ] {
        let method = if path.ends_with("funnel") {
            Method::GET
        } else {
            Method::POST
        };
        let body = problem(app.send(method, path, token).await, 422).await;
        assert_eq!(body.errors[0].field, "wave", "{path}");
        assert_eq!(body.errors[0].rule, rule, "{path}");
    }
}

#[tokio::test]
async fn an_unknown_wave_is_a_404_and_a_wrong_move_a_409() {
    let app = spawn_app().await;
    let token = Some(app.operator_token.as_str());

    let body = problem(
        app.send(Method::POST, "/v1/waves/7/selection", token).await,
        404,
    )
    .await;
    assert_eq!(
        (body.errors[0].field.as_str(), body.errors[0].rule.as_str()),
        ("wave", "exists")
    );
    problem(
        app.send(Method::GET, "/v1/waves/7/funnel", token).await,
        404,
    )
    .await;

    app.operator.create_wave(&create(7, 1)).await.unwrap();
    let body = problem(
        app.send(Method::POST, "/v1/waves/7/close", token).await,
        409,
    )
    .await;
    assert_eq!(body.errors[0].rule, "state");
    let again = app
        .http
        .post(app.url("/v1/waves"))
        .bearer_auth(&app.operator_token)
        .json(&create(7, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(again, 409).await.errors[0].rule, "unique");
}

#[tokio::test]
async fn a_creation_with_invalid_fields_names_each_one() {
    let app = spawn_app().await;
    let post = |body: serde_json::Value| {
        app.http
            .post(app.url("/v1/waves"))
            .bearer_auth(&app.operator_token)
            .json(&body)
            .send()
    };

    let response = post(serde_json::json!({
        "wave": 0, "quota": -1, "opens_at": "tomorrow"
    }))
    .await
    .unwrap();
    let body = problem(response, 422).await;
    let named: Vec<(&str, &str)> = body
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.rule.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            ("wave", "range"),
            ("quota", "range"),
            ("opens_at", "rfc3339")
        ]
    );

    let unknown = post(serde_json::json!({"wave": 2, "quota": 1, "colour": "red"}))
        .await
        .unwrap();
    assert_eq!(problem(unknown, 422).await.errors[0].rule, "schema");
    let wrong_type = post(serde_json::json!({"wave": "two", "quota": 1}))
        .await
        .unwrap();
    assert_eq!(problem(wrong_type, 422).await.errors[0].field, "wave");
    assert_eq!(app.count("SELECT count(*) AS n FROM waves").await, 0);
}
