//! Waves opened and closed by operators, followed by a running gateway
//! through the waves table, without a restart.

use std::time::Duration;

use lonjak_domain::{Wave, WaveState};
use lonjak_store::testing::TestDatabase;
use lonjak_store::{NewWave, Store, StoreConfig};

use crate::helpers::{spawn_app_with, test_settings, valid_body};

/// A guard against hanging, not a performance threshold.
const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_refuses_a_wave_within_seconds_of_it_being_closed() {
    let db = TestDatabase::create().await;
    let store = Store::connect(StoreConfig::without_personal_data(db.url.clone()))
        .await
        .unwrap();
    let two = Wave::new(2).unwrap();
    store
        .create_wave(&NewWave {
            number: two,
            quota: 10,
            opens_at: None,
            closes_at: None,
            email_verification_required: false,
            photos_required: false,
        })
        .await
        .unwrap();
    store.move_wave(two, WaveState::Open).await.unwrap();
    let mut settings = test_settings();
    settings.database.url = db.url.clone().into();
    settings.intake.waves_poll_ms = 200;
    let app = spawn_app_with(settings).await;
    let mut body = valid_body(1);
    body["wave"] = 2.into();

    // The table decides for wave 2, outside the settings' range (wave 1).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while app.post_json(&body).await.status() != 202 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "wave 2 never opened"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut third = valid_body(2);
    third["wave"] = 3.into();
    assert_eq!(app.post_json(&third).await.status(), 422, "wave 3: neither");

    store.move_wave(two, WaveState::Closed).await.unwrap();

    let deadline = tokio::time::Instant::now() + PATIENCE;
    let refusal = loop {
        let response = app.post_json(&body).await;
        if response.status() == 422 {
            break response.json::<serde_json::Value>().await.unwrap();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "wave 2 was never refused"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(refusal["errors"][0]["field"], "wave");
    assert_eq!(refusal["errors"][0]["rule"], "open");
    app.cleanup().await;
}
