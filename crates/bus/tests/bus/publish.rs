//! Confirmed publishing: properties, unroutable, full queue, concurrency.

use lonjak_bus::{Envelope, PublishError, TraceContext, WorkQueue, lapin::types::AMQPValue};

use crate::helpers::{Sample, connect, drain, raw_channel, sample, test_config};

#[tokio::test]
async fn a_published_event_is_on_the_queue_with_envelope_and_properties() {
    let (bus, _cleanup) = connect(test_config()).await;
    let trace = TraceContext::new_root();
    let envelope = Envelope::new("registration.submitted", "corr-42", sample(1));

    bus.publisher()
        .publish("registration.submitted", &envelope, Some(&trace))
        .await
        .expect("confirmed");

    let (_connection, channel) = raw_channel().await;
    let messages = drain(&channel, &bus.topology().queue(WorkQueue::Verifier)).await;
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    let body: Envelope<Sample> = serde_json::from_slice(&message.data).expect("envelope");
    assert_eq!(body, envelope);
    let properties = &message.properties;
    let event_id = envelope.event_id.to_string();
    assert_eq!(
        properties.message_id().as_ref().map(|s| s.as_str()),
        Some(event_id.as_str())
    );
    assert_eq!(
        properties.correlation_id().as_ref().map(|s| s.as_str()),
        Some("corr-42")
    );
    assert_eq!(*properties.delivery_mode(), Some(2));
    assert_eq!(
        properties.content_type().as_ref().map(|s| s.as_str()),
        Some("application/json")
    );
    assert_eq!(
        properties.kind().as_ref().map(|s| s.as_str()),
        Some("registration.submitted")
    );
    let traceparent = properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get("traceparent").cloned());
    assert_eq!(
        traceparent,
        Some(AMQPValue::LongString(trace.traceparent.clone().into()))
    );
    bus.close().await;
}

#[tokio::test]
async fn an_event_no_queue_is_bound_for_is_unroutable() {
    let (bus, _cleanup) = connect(test_config()).await;
    let envelope = Envelope::new("registration.nobody-listens", "c", sample(1));

    let result = bus
        .publisher()
        .publish("registration.nobody-listens", &envelope, None)
        .await;

    assert!(
        matches!(result, Err(PublishError::Unroutable)),
        "{result:?}"
    );
    bus.close().await;
}

#[tokio::test]
async fn a_full_intake_queue_nacks_and_holds_exactly_the_confirmed_messages() {
    let mut config = test_config();
    config.intake_max_length = Some(3);
    let (bus, _cleanup) = connect(config).await;
    let publisher = bus.publisher();

    let mut confirmed = Vec::new();
    let mut nacked = 0;
    for n in 0..6 {
        let envelope = Envelope::new("registration.submitted", "c", sample(n));
        match publisher
            .publish("registration.submitted", &envelope, None)
            .await
        {
            Ok(()) => confirmed.push(envelope.event_id.to_string()),
            Err(PublishError::Nacked) => nacked += 1,
            Err(other) => panic!("unexpected publish error: {other:?}"),
        }
    }

    // A quorum queue checks its limit after enqueueing, so it admits one
    // message past x-max-length before it starts refusing.
    assert!(
        (3..=4).contains(&confirmed.len()),
        "{} confirmed",
        confirmed.len()
    );
    assert_eq!(nacked, 6 - confirmed.len());
    let (_connection, channel) = raw_channel().await;
    let stored: Vec<String> = drain(&channel, &bus.topology().queue(WorkQueue::Verifier))
        .await
        .iter()
        .filter_map(|m| m.properties.message_id().as_ref().map(|s| s.to_string()))
        .collect();
    assert_eq!(stored, confirmed);
    bus.close().await;
}

#[tokio::test]
async fn many_concurrent_publishes_on_one_bus_are_all_confirmed_and_stored() {
    let (bus, _cleanup) = connect(test_config()).await;
    let publisher = bus.publisher();

    let tasks: Vec<_> = (0..500)
        .map(|n| {
            let publisher = publisher.clone();
            tokio::spawn(async move {
                let envelope = Envelope::new("registration.submitted", "c", sample(n));
                publisher
                    .publish("registration.submitted", &envelope, None)
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("confirmed");
    }

    let depth = bus
        .queue_depth(&bus.topology().queue(WorkQueue::Verifier))
        .await
        .expect("depth");
    assert_eq!(depth.messages, 500);
    bus.close().await;
}

#[tokio::test]
async fn publishing_to_a_queue_by_name_goes_through_the_default_exchange() {
    let (bus, _cleanup) = connect(test_config()).await;
    let queue = bus.topology().queue(WorkQueue::Eligibility);
    let envelope = Envelope::new("registration.verified", "c", sample(7));

    bus.publisher()
        .publish_to_queue(&queue, &envelope, None)
        .await
        .expect("confirmed");

    let depth = bus.queue_depth(&queue).await.expect("depth");
    assert_eq!(depth.messages, 1);
    bus.close().await;
}

#[tokio::test]
async fn publishing_after_close_is_refused_as_unavailable() {
    let (bus, _cleanup) = connect(test_config()).await;
    bus.close().await;

    let envelope = Envelope::new("registration.submitted", "c", sample(1));
    let result = bus
        .publisher()
        .publish("registration.submitted", &envelope, None)
        .await;

    assert!(
        matches!(result, Err(PublishError::Unavailable(_))),
        "{result:?}"
    );
    assert!(!bus.is_connected());
}
