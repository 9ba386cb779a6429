//! Names and arguments derived from the configuration.

use super::*;

fn topology(intake_max_length: Option<u32>) -> Topology {
    Topology::new(&BusConfig {
        prefix: "p.".to_owned(),
        intake_max_length,
        retry_delays: vec![Duration::from_secs(5), Duration::from_millis(1500)],
        ..BusConfig::default()
    })
}

#[test]
fn every_name_carries_the_prefix() {
    let t = topology(None);
    assert_eq!(t.exchange(), "p.lonjak.events");
    assert_eq!(t.dlx(), "p.lonjak.dlx");
    assert_eq!(t.queue(WorkQueue::Verifier), "p.verifier");
    assert_eq!(t.dlq(WorkQueue::NotifySms), "p.notify.sms.dlq");
    assert_eq!(
        t.retry_queue(WorkQueue::Eligibility, Duration::from_secs(5)),
        "p.eligibility.retry.5s"
    );
    assert_eq!(
        t.retry_queue(WorkQueue::Verifier, Duration::from_millis(1500)),
        "p.verifier.retry.1500ms"
    );
    assert!(t.all_queues().iter().all(|name| name.starts_with("p.")));
    assert_eq!(t.all_queues().len(), WorkQueue::ALL.len() * (2 + 2));
}

#[test]
fn only_the_intake_queue_gets_the_max_length() {
    let t = topology(Some(1000));
    let verifier = t.work_queue_arguments(WorkQueue::Verifier);
    let notifier = t.work_queue_arguments(WorkQueue::NotifyEmail);
    assert_eq!(
        verifier.inner().get("x-max-length"),
        Some(&AMQPValue::LongLongInt(1000))
    );
    assert!(!notifier.contains_key("x-max-length"));
    assert!(
        !topology(None)
            .work_queue_arguments(WorkQueue::Verifier)
            .contains_key("x-max-length")
    );
}

#[test]
fn work_queues_dead_letter_to_their_own_dlq_key() {
    let t = topology(None);
    let args = t.work_queue_arguments(WorkQueue::Eligibility);
    assert_eq!(
        args.inner().get("x-dead-letter-exchange"),
        Some(&long_string("p.lonjak.dlx"))
    );
    assert_eq!(
        args.inner().get("x-dead-letter-routing-key"),
        Some(&long_string("p.eligibility"))
    );
    assert_eq!(
        args.inner().get("x-delivery-limit"),
        Some(&AMQPValue::LongLongInt(5))
    );
}

#[test]
fn retry_queues_expire_back_into_their_work_queue() {
    let t = topology(None);
    let args = t.retry_queue_arguments(WorkQueue::Verifier, Duration::from_secs(5));
    assert_eq!(
        args.inner().get("x-message-ttl"),
        Some(&AMQPValue::LongLongInt(5000))
    );
    assert_eq!(
        args.inner().get("x-dead-letter-exchange"),
        Some(&long_string(""))
    );
    assert_eq!(
        args.inner().get("x-dead-letter-routing-key"),
        Some(&long_string("p.verifier"))
    );
}

#[test]
fn each_notifier_channel_has_its_own_retry_and_dead_letter_path() {
    let t = topology(None);
    let delay = Duration::from_secs(5);
    assert_eq!(
        t.retry_queue(WorkQueue::NotifyEmail, delay),
        "p.notify.email.retry.5s"
    );
    for queue in [WorkQueue::NotifyEmail, WorkQueue::NotifySms] {
        let own = Some(long_string(&t.queue(queue)));
        let work = t.work_queue_arguments(queue);
        let retry = t.retry_queue_arguments(queue, delay);
        assert_eq!(work.inner().get("x-dead-letter-routing-key"), own.as_ref());
        assert_eq!(retry.inner().get("x-dead-letter-routing-key"), own.as_ref());
    }
    // Whatever is told by SMS is also told by email: the email queue is the
    // one where every event for the notifier can be counted.
    assert_eq!(WorkQueue::Notifier, WorkQueue::NotifyEmail);
    for key in WorkQueue::NotifySms.routing_keys() {
        assert!(WorkQueue::NotifyEmail.routing_keys().contains(key), "{key}");
    }
}
