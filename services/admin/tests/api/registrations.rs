//! One registration: the support desk's look-up and an operator's
//! explanation.

use lonjak_domain::{RegistrationStatus, Wave};
use lonjak_ops::wire::{CreateWave, LookupBody};
use reqwest::Method;

use crate::helpers::{id_of, pool, problem, spawn_app};

#[tokio::test]
async fn an_agent_sees_the_state_and_history_and_an_operator_the_explanation() {
    let app = spawn_app().await;
    let wave = Wave::new(1).unwrap();
    app.operator
        .create_wave(&CreateWave {
            wave: 1,
            quota: 1,
            email_verification_required: Some(false),
            ..CreateWave::default()
        })
        .await
        .unwrap();
    app.operator.move_wave(wave, "open").await.unwrap();
    app.operator.move_wave(wave, "close").await.unwrap();
    app.seed(wave, &pool()).await;
    let id = id_of(0x40);
    app.run_sql(&format!(
        "INSERT INTO status_history (registration_id, from_status, to_status, at)
         VALUES ('{id}', NULL, 'queued', now() - interval '3 minutes'),
                ('{id}', 'queued', 'verifying', now() - interval '2 minutes'),
                ('{id}', 'verifying', 'verified', now() - interval '1 minute'),
                ('{id}', 'verified', 'scored', now() - interval '30 seconds')"
    ))
    .await;
    app.operator.select(wave, "8MB").await.unwrap();

    let response = app
        .send(
            Method::GET,
            &format!("/v1/registrations/{id}"),
            Some(&app.agent_token),
        )
        .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let lookup: LookupBody = serde_json::from_str(&text).unwrap();
    let explanation = app.operator.explain(&id).await.unwrap();

    assert_eq!(lookup.status, RegistrationStatus::Selected);
    assert_eq!(lookup.wave, 1);
    let steps: Vec<RegistrationStatus> = lookup.history.iter().map(|h| h.to).collect();
    use RegistrationStatus::*;
    assert_eq!(steps, [Queued, Verifying, Verified, Scored, Selected]);
    for personal in ["full_name", "email\"", "phone", "birth_date", "nik"] {
        assert!(!text.contains(personal), "{personal} in the look-up");
    }
    assert_eq!(explanation.status, RegistrationStatus::Selected);
    assert_eq!(explanation.rank, Some(1));
    assert_eq!(explanation.score.map(|s| s.total), Some(60));

    let waitlisted = app.operator.lookup(&id_of(0x10)).await.unwrap();
    assert_eq!(waitlisted.status, RegistrationStatus::Waitlisted);
}

#[tokio::test]
async fn a_malformed_id_is_a_422_and_an_unknown_one_a_404() {
    let app = spawn_app().await;
    let token = Some(app.agent_token.as_str());

    let bad = problem(
        app.send(Method::GET, "/v1/registrations/XYZ", token).await,
        422,
    )
    .await;
    assert_eq!(
        (bad.errors[0].field.as_str(), bad.errors[0].rule.as_str()),
        ("registration_id", "format")
    );
    let unknown = format!("/v1/registrations/{}", id_of(0x77));
    problem(app.send(Method::GET, &unknown, token).await, 404).await;
    let unknown_path = app.send(Method::GET, "/v1/nothing", token).await;
    problem(unknown_path, 404).await;
}
