//! Retention through the API: the plan, the erasure, a wave's own period,
//! and the refusals (role, wave number, limit, body).

use lonjak_domain::Wave;
use lonjak_ops::retention::{ErasureBody, RetentionPlanBody};
use lonjak_ops::wire::CreateWave;
use reqwest::Method;

use crate::helpers::{TestApp, pool, problem, spawn_app};

/// Wave 1 selected with a quota of 4 from the 10 of the pool, announced
/// `days` ago.
async fn announced_wave(app: &TestApp, days: u32) -> Wave {
    let wave = Wave::new(1).unwrap();
    app.operator
        .create_wave(&CreateWave {
            wave: 1,
            quota: 4,
            email_verification_required: Some(false),
            ..CreateWave::default()
        })
        .await
        .unwrap();
    app.operator.move_wave(wave, "open").await.unwrap();
    app.operator.move_wave(wave, "close").await.unwrap();
    app.seed(wave, &pool()).await;
    app.operator.select(wave, "8MB").await.unwrap();
    // The announcement itself needs the broker; its bookkeeping is this.
    app.run_sql("UPDATE waves SET state = 'announced' WHERE id = 1")
        .await;
    app.run_sql(&format!(
        "UPDATE waves SET announced_at = announced_at - interval '{days} days' WHERE id = 1"
    ))
    .await;
    wave
}

#[tokio::test]
async fn an_operator_sees_the_plan_and_erases_what_it_said() {
    let app = spawn_app().await;
    announced_wave(&app, 91).await;
    let token = Some(app.operator_token.as_str());

    let plan: RetentionPlanBody = app
        .send(Method::GET, "/v1/retention", token)
        .await
        .json()
        .await
        .unwrap();
    let erased = app.send(Method::POST, "/v1/retention/erasure", token).await;
    assert_eq!(erased.status().as_u16(), 200);
    let erased: ErasureBody = erased.json().await.unwrap();
    let again: ErasureBody = app
        .send(Method::POST, "/v1/retention/erasure?wave=1", token)
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(plan.default_period_days, 90);
    assert!(plan.waves[0].announced_at.is_some());
    assert!(plan.waves[0].due);
    assert_eq!((plan.waves[0].rejected, plan.waves[0].waitlisted), (0, 6));
    assert_eq!(erased.waves.len(), 1);
    assert_eq!(
        (erased.waves[0].rejected, erased.waves[0].waitlisted),
        (0, 6)
    );
    assert!(erased.complete);
    assert!(again.waves.is_empty());
    assert_eq!(
        app.count("SELECT count(*) AS n FROM registrations WHERE erased_at IS NOT NULL")
            .await,
        6
    );
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM selection_decisions d
               JOIN registrations r ON r.id = d.registration_id
              WHERE d.decision = 'selected' AND r.erased_at IS NULL"
        )
        .await,
        4
    );
}

#[tokio::test]
async fn a_wave_period_set_through_the_api_moves_its_due_date() {
    let app = spawn_app().await;
    let wave = announced_wave(&app, 91).await;

    // The command's client, as `lonjak-ops retention period|plan|erase`.
    app.operator.set_retention(wave, Some(365)).await.unwrap();
    let plan = app.operator.retention_plan(Some(wave)).await.unwrap();
    let erased = app.operator.erase(None, None).await.unwrap();
    app.operator.set_retention(wave, None).await.unwrap();
    let back = app.operator.retention_plan(None).await.unwrap();

    assert_eq!(plan.waves[0].period_days, 365);
    assert!(!plan.waves[0].due);
    assert!(erased.waves.is_empty(), "not due under its own period");
    assert_eq!(back.waves[0].period_days, 90);
    assert!(back.waves[0].due);
    let unknown = app
        .http
        .put(app.url("/v1/waves/9/retention"))
        .bearer_auth(&app.operator_token)
        .json(&serde_json::json!({"period_days": 30}))
        .send()
        .await
        .unwrap();
    problem(unknown, 404).await;
    let bad = app
        .http
        .put(app.url("/v1/waves/1/retention"))
        .bearer_auth(&app.operator_token)
        .json(&serde_json::json!({"period_days": "soon"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(bad, 422).await.errors[0].field, "period_days");
}

#[tokio::test]
async fn retention_is_refused_to_agents_and_to_bad_parameters() {
    let app = spawn_app().await;
    let operator = Some(app.operator_token.as_str());

    let agent = app
        .send(
            Method::POST,
            "/v1/retention/erasure",
            Some(&app.agent_token),
        )
        .await;
    let wave = app
        .send(Method::GET, "/v1/retention?wave=zero", operator)
        .await;
    let limit = app
        .send(Method::POST, "/v1/retention/erasure?limit=0", operator)
        .await;
    let unknown = app
        .send(Method::POST, "/v1/retention/erasure?wave=7", operator)
        .await;

    problem(agent, 403).await;
    assert_eq!(problem(wave, 422).await.errors[0].field, "wave");
    assert_eq!(problem(limit, 422).await.errors[0].field, "limit");
    problem(unknown, 404).await;
    let doc: serde_json::Value = app
        .send(Method::GET, "/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    for (path, method) in [
        ("/v1/retention", "get"),
        ("/v1/retention/erasure", "post"),
        ("/v1/waves/{wave}/retention", "put"),
    ] {
        assert!(
            doc["paths"][path][method]["responses"].get("403").is_some(),
            "{method} {path} documented"
        );
    }
}
