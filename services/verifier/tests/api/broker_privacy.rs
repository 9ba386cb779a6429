//! No personal field in clear in any broker message. Known applicants go
//! through the verifier sealed as the gateway seals them (verified,
//! rejected, and altered ones that are dead-lettered); a tap queue bound to
//! the event exchange and the dead-letter exchange keeps a copy of every
//! message. Then every queue of the topology (work, retry and dead-letter
//! queues) and the tap are read raw, bodies and headers, and searched for
//! each applicant's NIK, KK number, name, birth date, email and phone. A
//! clear copy put on the tap last must be found: the search is shown to bite.

use lapin::options::{BasicGetOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties};
use lonjak_bus::{Envelope, WorkQueue};
use lonjak_domain::{Registration, RegistrationRequest, submission_date};
use secrecy::ExposeSecret;
use time::OffsetDateTime;

use crate::applicants::{Profile, applicants};
use crate::helpers::{Submission, TestApp, spawn_app};

/// Every form in which an applicant's personal fields could appear.
fn personal_values(request: &RegistrationRequest, today: time::Date) -> Vec<String> {
    let mut values: Vec<String> = [
        &request.nik,
        &request.kk_number,
        &request.full_name,
        &request.birth_date,
        &request.email,
        &request.phone,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    if let Ok(reg) = Registration::parse_submitted(request, lonjak_domain::Wave::FIRST)
        .or_else(|_| Registration::parse(request, today, lonjak_domain::Wave::FIRST))
    {
        values.extend([
            reg.phone().as_str().to_owned(),
            reg.email().as_str().to_owned(),
            reg.full_name().as_str().to_owned(),
            reg.birth_date().to_iso_string(),
        ]);
    }
    values.sort();
    values.dedup();
    values
}

/// Takes every message off `queue`: its body and headers as text.
async fn read_all(channel: &Channel, queue: &str) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(message) = channel
        .basic_get(queue.into(), BasicGetOptions { no_ack: true })
        .await
        .expect("basic.get")
    {
        let delivery = message.delivery;
        out.push(format!(
            "{} {:?}",
            String::from_utf8_lossy(&delivery.data),
            delivery.properties.headers()
        ));
    }
    out
}

/// Which of `values` appear in `messages`, counted per value.
fn hits(messages: &[String], values: &[String]) -> usize {
    values
        .iter()
        .filter(|value| messages.iter().any(|m| m.contains(value.as_str())))
        .count()
}

async fn tap(app: &TestApp, channel: &Channel) -> String {
    let topology = app.bus.topology();
    let tap = format!("{}privacy-tap", topology.prefix());
    channel
        .queue_declare(
            tap.as_str().into(),
            QueueDeclareOptions {
                exclusive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("declare the tap");
    let mut bindings = vec![(topology.exchange(), "#".to_owned())];
    bindings.extend(WorkQueue::ALL.map(|q| (topology.dlx(), topology.queue(q))));
    for (exchange, key) in bindings {
        channel
            .queue_bind(
                tap.as_str().into(),
                exchange.as_str().into(),
                key.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("bind the tap");
    }
    tap
}

#[tokio::test]
async fn no_personal_field_is_in_clear_in_any_queue_dead_letters_included() {
    let mut app = spawn_app().await;
    let connection = Connection::connect(
        app.settings.bus.url.expose_secret(),
        ConnectionProperties::default(),
    )
    .await
    .expect("connect");
    let channel = connection.create_channel().await.expect("channel");
    let tap = tap(&app, &channel).await;
    let now = OffsetDateTime::now_utc();
    let today = submission_date(now);
    let mut requests = applicants(Profile::Clean, 0, 6);
    requests.extend(applicants(Profile::NotFound, 0, 3));
    requests.extend(applicants(Profile::NameMismatch, 0, 2));
    let submissions: Vec<Submission> = requests.iter().map(|r| app.submission_at(r, now)).collect();
    // Two altered ones, dead-lettered: a body moved onto another
    // registration, and the registration it came from resubmitted.
    let mut moved = app.submission_at(&requests[1], now);
    moved.envelope.payload.applicant = submissions[0].envelope.payload.applicant.clone();
    let values: Vec<String> = requests
        .iter()
        .flat_map(|r| personal_values(r, today))
        .collect();

    for submission in submissions.iter().chain([&moved]) {
        app.publish(submission).await;
    }
    for submission in &submissions {
        app.final_status(&submission.id).await;
    }
    app.eventually("the altered one is dead-lettered", async || {
        app.processed("dead_lettered") == 1
    })
    .await;
    app.shutdown().await;

    let topology = app.bus.topology().clone();
    let mut messages = Vec::new();
    for queue in topology.all_queues().iter().chain([&tap]) {
        messages.extend(read_all(&channel, queue).await);
    }
    // Each applicant's outcome event, and the dead letter.
    assert!(
        messages.len() > requests.len(),
        "only {} messages read",
        messages.len()
    );
    assert_eq!(
        hits(&messages, &values),
        0,
        "personal data in clear on the broker"
    );

    // What the gateway published before sealing: the same search finds it.
    let clear = Envelope::new(
        "registration.submitted",
        "clear",
        serde_json::json!({"registration_id": submissions[0].id, "applicant": requests[0]}),
    );
    app.bus
        .publisher()
        .publish_raw(
            "",
            &tap,
            &serde_json::to_vec(&clear).expect("json"),
            lapin::BasicProperties::default(),
        )
        .await
        .expect("publish a clear copy");
    let clear_messages = read_all(&channel, &tap).await;
    assert!(hits(&clear_messages, &personal_values(&requests[0], today)) >= 6);
    let _ = connection.close(200, "done".into()).await;
    app.stop().await;
}
