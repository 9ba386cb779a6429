//! Re-sending the notice of a waitlisted applicant ranked past the wave's
//! decided prefix (no decision row): a one-rank page of the ranking, after
//! the applicant just before them, which the store reads back as exactly
//! that applicant at that rank.

use diesel::sql_types::Text;
use lonjak_domain::events::SelectionDecided;
use lonjak_domain::{RegistrationId, RegistrationStatus, Wave};
use lonjak_ops::client::AdminClient;
use lonjak_ops::support_wire::NotificationResendRequest;
use lonjak_ops::wire::CreateWave;
use lonjak_store::{DataKey, Store, StoreConfig};

use crate::helpers::{DATA_KEY, TestApp, pool, spawn_app};
use crate::support_actions::{bus_of, take_one};

/// `wave`'s scored applicants in ranking order (score down, then time,
/// then id).
async fn ranking(app: &TestApp, wave: Wave) -> Vec<RegistrationId> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        id: String,
    }
    let rows: Vec<Row> = diesel_async::RunQueryDsl::load(
        diesel::sql_query(format!(
            r#"SELECT id FROM registrations WHERE wave_id = {} AND status = 'scored'
                ORDER BY -score, submitted_at, id COLLATE "C""#,
            wave.get()
        )),
        &mut app.raw().await,
    )
    .await
    .unwrap();
    rows.iter()
        .map(|r| RegistrationId::parse(&r.id).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waitlisted_applicant_past_the_decided_prefix_is_resent_a_one_rank_ranking_page() {
    let app = spawn_app().await;
    let bus = bus_of(&app).await;
    let wave = Wave::new(7).unwrap();
    app.operator
        .create_wave(&CreateWave {
            wave: 7,
            quota: 1,
            email_verification_required: Some(false),
            ..CreateWave::default()
        })
        .await
        .unwrap();
    app.operator.move_wave(wave, "open").await.unwrap();
    app.operator.move_wave(wave, "close").await.unwrap();
    app.seed(wave, &pool()).await;
    app.operator.select(wave, "8MB").await.unwrap();

    let order = ranking(&app, wave).await;
    let (last, before) = (order[order.len() - 1], order[order.len() - 2]);
    let rank = u32::try_from(order.len()).unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM selection_decisions WHERE registration_id = '{last}'"
        ))
        .await,
        0,
        "the last of the ranking is past the decided prefix"
    );
    app.sent(&last, "waitlisted", "email").await;
    let agent = AdminClient::new(&app.base, &app.agent_token).unwrap();
    agent
        .resend_notification(
            &last,
            &NotificationResendRequest {
                event: Some("waitlisted".to_owned()),
                channel: Some("email".to_owned()),
                reason: Some("ticket 12: caller deleted the email".to_owned()),
            },
        )
        .await
        .unwrap();

    let queue = bus.topology().queue(lonjak_bus::WorkQueue::NotifyEmail);
    let (routing_key, body) = take_one(&app, &queue).await;
    assert_eq!(routing_key, SelectionDecided::ROUTING_KEY);
    let page: SelectionDecided = serde_json::from_value(body["payload"].clone()).unwrap();
    assert_eq!(
        (page.wave, page.first_rank, page.last_rank),
        (wave, rank, rank)
    );
    let cursor = page
        .ranking
        .and_then(|r| r.after)
        .expect("a ranking page after the applicant just before");
    assert_eq!(cursor.id, before);

    // What the notifier does with the page: read the ranking after the
    // cursor, one applicant, from that rank.
    let store = Store::connect(StoreConfig::new(
        &app.db.url,
        DataKey::from_bytes(&DATA_KEY).unwrap(),
    ))
    .await
    .unwrap();
    let read = store
        .ranking_page(wave, Some(&cursor), rank, 1)
        .await
        .unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!((read[0].id, read[0].rank), (last, rank));
    assert_eq!(read[0].status, RegistrationStatus::Waitlisted);
    bus.close().await;
    lonjak_bus::delete_topology(&app.bus.to_config())
        .await
        .unwrap();
}
