//! Selection and announcement through the API: the expected ids, a second
//! call that changes nothing, the command's refusals, and the funnel.

use lonjak_domain::{RegistrationStatus, Wave, WaveState};
use lonjak_ops::wire::{CreateWave, SelectionKind};
use reqwest::Method;

use crate::helpers::{expected_top, id_of, pool, problem, spawn_app};

async fn closed_wave(app: &crate::helpers::TestApp, n: u32, quota: i64) -> Wave {
    let wave = Wave::new(n).unwrap();
    app.operator
        .create_wave(&CreateWave {
            wave: i64::from(n),
            quota,
            email_verification_required: Some(false),
            ..CreateWave::default()
        })
        .await
        .unwrap();
    app.operator.move_wave(wave, "open").await.unwrap();
    app.operator.move_wave(wave, "close").await.unwrap();
    wave
}

#[tokio::test]
async fn selection_selects_the_expected_ids_and_a_second_call_changes_nothing() {
    let app = spawn_app().await;
    let wave = closed_wave(&app, 1, 4).await;
    app.seed(wave, &pool()).await;

    let first = app.operator.select(wave, "8MB").await.unwrap();
    let history = app.count("SELECT count(*) AS n FROM status_history").await;
    let selected = app.selected_ids(wave).await;
    let second = app.operator.select(wave, "8MB").await.unwrap();

    assert_eq!(first.outcome, SelectionKind::Decided);
    assert_eq!(
        (first.selected, first.waitlisted, first.rejected),
        (4, 6, 0)
    );
    assert_eq!(selected, expected_top(&pool(), 4));
    // 0x40 (60), then the 55s by time, then id: 0x0f and 0x20 at 3 s, 0x10.
    assert_eq!(selected, [0x0f, 0x10, 0x20, 0x40].map(id_of).to_vec());
    assert_eq!(second.outcome, SelectionKind::AlreadyDecided);
    assert_eq!(second.counts(), first.counts());
    assert_eq!(app.selected_ids(wave).await, selected);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM status_history").await,
        history
    );
}

#[tokio::test]
async fn selection_refuses_an_open_wave_and_one_not_drained() {
    let app = spawn_app().await;
    let token = Some(app.operator_token.as_str());
    let wave = Wave::new(2).unwrap();
    app.operator
        .create_wave(&CreateWave {
            wave: 2,
            quota: 3,
            ..CreateWave::default()
        })
        .await
        .unwrap();
    app.operator.move_wave(wave, "open").await.unwrap();
    app.seed(wave, &pool()).await;

    let open = problem(
        app.send(Method::POST, "/v1/waves/2/selection", token).await,
        409,
    )
    .await;
    assert_eq!(open.errors[0].rule, "state");

    app.operator.move_wave(wave, "close").await.unwrap();
    app.run_sql(&format!(
        "UPDATE registrations SET status = 'verifying' WHERE id = '{}'",
        id_of(0x10)
    ))
    .await;
    let in_flight = problem(
        app.send(Method::POST, "/v1/waves/2/selection", token).await,
        409,
    )
    .await;
    assert_eq!(in_flight.errors[0].rule, "drained");
    assert!(app.selected_ids(wave).await.is_empty());
    // Nothing to announce before a selection.
    let early = problem(
        app.send(Method::POST, "/v1/waves/2/announcement", token)
            .await,
        409,
    )
    .await;
    assert_eq!(early.errors[0].rule, "selected");
}

#[tokio::test]
async fn the_announcement_publishes_every_decision_once_and_the_funnel_counts_them() {
    let app = spawn_app().await;
    let wave = closed_wave(&app, 1, 3).await;
    app.seed(wave, &pool()).await;
    app.operator.select(wave, "8MB").await.unwrap();

    let first = app.operator.announce(wave, 4).await.unwrap();
    let again = app.operator.announce(wave, 4).await.unwrap();
    let funnel = app.operator.funnel(wave).await.unwrap();
    let record = app.operator.waves().await.unwrap().remove(0);
    let _ = lonjak_bus::delete_topology(&app.bus.to_config()).await;

    assert_eq!((first.published, first.finished), (10, true));
    assert_eq!((again.published, again.finished), (0, true));
    assert_eq!(record.state, WaveState::Announced);
    assert_eq!(funnel.received, 10);
    let now = |status| {
        funnel
            .states
            .iter()
            .find(|s| s.status == status)
            .map(|s| s.now)
    };
    assert_eq!(now(RegistrationStatus::Selected), Some(3));
    assert_eq!(now(RegistrationStatus::Waitlisted), Some(7));
}
