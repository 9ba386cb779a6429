//! The support desk's actions against the real broker: each limited per
//! registration and day in the database, published to the notifier's
//! queues, and a replay request that reaches an operator.

use lonjak_bus::{Bus, Envelope, WorkQueue};
use lonjak_ops::client::AdminClient;
use lonjak_ops::support_wire::{CloseReplayRequest, NotificationResendRequest};
use reqwest::Method;

use crate::helpers::{TestApp, problem, spawn_app};

async fn depth(bus: &Bus, queue: WorkQueue) -> u32 {
    bus.queue_depth(&bus.topology().queue(queue))
        .await
        .unwrap()
        .messages
}

/// Takes one message off `queue`: its routing-key header and its body.
pub(crate) async fn take_one(app: &TestApp, queue: &str) -> (String, serde_json::Value) {
    use lonjak_bus::lapin::options::BasicGetOptions;
    use lonjak_bus::lapin::types::AMQPValue;
    use lonjak_bus::lapin::{Connection, ConnectionProperties};
    let connection = Connection::connect(&app.bus.to_config().url, ConnectionProperties::default())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let message = channel
        .basic_get(queue.into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
        .expect("a message");
    let headers = message.delivery.properties.headers().clone().unwrap();
    let routing_key = match headers.inner().get(lonjak_bus::headers::ROUTING_KEY) {
        Some(AMQPValue::LongString(s)) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        other => panic!("routing key header: {other:?}"),
    };
    let body = serde_json::from_slice(&message.delivery.data).unwrap();
    let _ = connection.close(200, "done".into()).await;
    (routing_key, body)
}

pub(crate) async fn bus_of(app: &TestApp) -> Bus {
    Bus::connect(app.bus.to_config()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resending_the_link_goes_through_the_notifier_and_stops_at_the_daily_limit_across_concurrent_requests()
 {
    let app = spawn_app().await;
    let bus = bus_of(&app).await;
    let person = app.record(400, 1).await;
    let agent = AdminClient::new(&app.base, &app.agent_token).unwrap();

    let tries =
        (0..5).map(|_| agent.resend_verification_email(&person.id, "caller never got the email"));
    let answers = futures::future::join_all(tries).await;

    let allowed = answers.iter().filter(|a| a.is_ok()).count();
    assert_eq!(allowed, 2, "the default limit is two a day");
    for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
        assert!(refused.to_string().contains("daily_limit"), "{refused}");
    }
    // Both links went to the notifier's email queue (bound to the event).
    assert_eq!(depth(&bus, WorkQueue::NotifyEmail).await, 2);
    let sequences = app
        .count(&format!(
            "SELECT sum(count)::bigint AS n FROM email_verification_resends WHERE registration_id = '{}'",
            person.id
        ))
        .await;
    assert_eq!(sequences, 2, "numbered with the applicant's own re-sends");
    let rows = app.access_rows().await;
    assert_eq!(
        rows.iter()
            .filter(|r| r.contains("|resend_verification_email|ok|"))
            .count(),
        2
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.contains("|resend_verification_email|limited|"))
            .count(),
        3
    );
    bus.close().await;
    lonjak_bus::delete_topology(&app.bus.to_config())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_notification_is_sent_again_on_its_own_channel_only() {
    let app = spawn_app().await;
    let bus = bus_of(&app).await;
    let person = app.record(410, 1).await;
    app.sent(&person.id, "verified", "email").await;
    app.sent(&person.id, "verified", "sms").await;
    let agent = AdminClient::new(&app.base, &app.agent_token).unwrap();
    let request = |event: &str| NotificationResendRequest {
        event: Some(event.to_owned()),
        channel: Some("email".to_owned()),
        reason: Some("caller deleted the email".to_owned()),
    };

    let resent = agent
        .resend_notification(&person.id, &request("verified"))
        .await
        .unwrap();
    let unknown = agent
        .resend_notification(&person.id, &request("selected"))
        .await;
    let no_reason = app
        .http
        .post(app.url(&format!(
            "/v1/support/registrations/{}/notifications/resend",
            person.id
        )))
        .bearer_auth(&app.agent_token)
        .json(&serde_json::json!({"event": "verified", "channel": "email"}))
        .send()
        .await
        .unwrap();

    assert_eq!((resent.status.as_str(), resent.left_today), ("sending", 1));
    assert!(unknown.unwrap_err().to_string().starts_with("404"));
    assert_eq!(problem(no_reason, 422).await.errors[0].field, "reason");
    assert_eq!(depth(&bus, WorkQueue::NotifyEmail).await, 1);
    assert_eq!(depth(&bus, WorkQueue::NotifySms).await, 0);
    assert_eq!(
        depth(&bus, WorkQueue::Eligibility).await,
        0,
        "eligibility saw the event again"
    );
    let states = app
        .count(&format!(
            "SELECT count(*) AS n FROM notifications
              WHERE registration_id = '{}' AND ((channel = 'email' AND state = 'pending')
                 OR (channel = 'sms' AND state = 'sent'))",
            person.id
        ))
        .await;
    assert_eq!(states, 2, "the email is claimable again, the SMS untouched");
    // What the notifier will read: the event under its own routing key.
    let (routing_key, body) = take_one(&app, &bus.topology().queue(WorkQueue::NotifyEmail)).await;
    assert_eq!(routing_key, "registration.verified");
    assert_eq!(body["payload"]["registration_id"], person.id.to_string());
    bus.close().await;
    lonjak_bus::delete_topology(&app.bus.to_config())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_request_reaches_an_operator_who_replays_that_registrations_dead_letters_only() {
    let app = spawn_app().await;
    let bus = bus_of(&app).await;
    let person = app.record(420, 1).await;
    let other = app.record(421, 1).await;
    let dlq = bus.topology().dlq(WorkQueue::Eligibility);
    for id in [person.id, other.id] {
        let letter = Envelope::new(
            "registration.verified",
            "dead",
            serde_json::json!({"registration_id": id.to_string(), "wave": 1}),
        );
        bus.publisher()
            .publish_to_queue(&dlq, &letter, None)
            .await
            .unwrap();
    }
    let agent = AdminClient::new(&app.base, &app.agent_token).unwrap();

    let filed = agent
        .request_replay(&person.id, "stuck since Monday")
        .await
        .unwrap();
    let again = agent
        .request_replay(&person.id, "caller called again")
        .await
        .unwrap();
    let listed = app.operator.replay_requests(Some("open")).await.unwrap();
    let agent_list = app
        .send(
            Method::GET,
            "/v1/support/replay-requests",
            Some(&app.agent_token),
        )
        .await;
    let replayed = lonjak_bus::dlq_pick::replay_registration(
        &bus,
        WorkQueue::Eligibility,
        &person.id.to_string(),
    )
    .await
    .unwrap();
    let closed = app
        .operator
        .close_replay_request(
            filed.id,
            &CloseReplayRequest {
                state: Some("replayed".to_owned()),
                note: Some("1 from eligibility".to_owned()),
            },
        )
        .await
        .unwrap();

    assert_eq!(again.id, filed.id, "one open request per registration");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].registration_id.as_str(),
            listed[0].requested_by.as_str(),
            listed[0].reason.as_str()
        ),
        (person.id.to_string().as_str(), "budi", "stuck since Monday")
    );
    problem(agent_list, 403).await;
    assert_eq!((replayed.moved, replayed.seen), (1, 2));
    assert_eq!(depth(&bus, WorkQueue::Eligibility).await, 1);
    assert_eq!(
        bus.queue_depth(&dlq).await.unwrap().messages,
        1,
        "the other's dead letter stays"
    );
    assert_eq!(
        (closed.state.as_str(), closed.handled_by.as_deref()),
        ("replayed", Some("ana"))
    );
    assert!(
        app.operator
            .replay_requests(Some("open"))
            .await
            .unwrap()
            .is_empty()
    );
    let rows = app.access_rows().await;
    assert!(
        rows.contains(&format!("budi|replay_request|ok|-|{}|-", person.id)),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("ana|replay_request_close|ok|")),
        "{rows:?}"
    );
    bus.close().await;
    lonjak_bus::delete_topology(&app.bus.to_config())
        .await
        .unwrap();
}
