//! `lonjak-rawpub`: the broker's own ceiling for confirmed publishing, and
//! what each publish option costs it. Publishes as fast as confirms allow
//! (pipelined, at most `--outstanding` unconfirmed) to a fresh quorum queue
//! for `--seconds`, then reports messages per second and CPU per message of
//! the broker (`--broker-pid`) and of itself. Deletes its queue and exchange.
//!
//! lonjak-rawpub [--amqp-url U] [--seconds 15] [--outstanding 1000]
//!   [--channels 1] [--body small|registration] [--route default|topic]
//!   [--mandatory] [--properties] [--headers] [--broker-pid PID] [--label TEXT]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Connection, ConnectionProperties, ExchangeKind};
use lonjak_bench::machine::cpu_seconds;
use lonjak_bus::{Envelope, TraceContext};
use lonjak_domain::RegistrationId;
use lonjak_domain::events::{Event, RegistrationSubmitted};
use lonjak_domain::testing::{identity_key, sample_registration};
use tokio::sync::Semaphore;

const SUBMITTED: &str = RegistrationSubmitted::ROUTING_KEY;

struct Args {
    amqp_url: String,
    seconds: u64,
    outstanding: usize,
    channels: usize,
    registration_body: bool,
    topic: bool,
    mandatory: bool,
    headers: bool,
    properties: bool,
    broker_pid: Option<u32>,
    label: String,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned(),
        seconds: 15,
        outstanding: 1000,
        channels: 1,
        registration_body: false,
        topic: false,
        mandatory: false,
        headers: false,
        properties: false,
        broker_pid: None,
        label: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(key) = it.next() {
        let mut value = || it.next().with_context(|| format!("{key} needs a value"));
        match key.as_str() {
            "--amqp-url" => args.amqp_url = value()?,
            "--seconds" => args.seconds = value()?.parse()?,
            "--outstanding" => args.outstanding = value()?.parse()?,
            "--channels" => args.channels = value()?.parse()?,
            "--body" => args.registration_body = value()? == "registration",
            "--route" => args.topic = value()? == "topic",
            "--mandatory" => args.mandatory = true,
            "--headers" => args.headers = true,
            "--properties" => args.properties = true,
            "--broker-pid" => args.broker_pid = Some(value()?.parse()?),
            "--label" => args.label = value()?,
            other => bail!("unknown argument {other}"),
        }
    }
    anyhow::ensure!(args.channels >= 1 && args.outstanding >= args.channels);
    Ok(args)
}

/// The body: 300 bytes of filler, or a real `registration.submitted` envelope.
fn body(registration: bool) -> anyhow::Result<Vec<u8>> {
    if !registration {
        return Ok(format!("{{\"filler\":\"{}\"}}", "x".repeat(300 - 14)).into_bytes());
    }
    let today = time::OffsetDateTime::now_utc();
    let reg = sample_registration(7, lonjak_domain::submission_date(today));
    let id = RegistrationId::derive(&identity_key(), reg.nik(), reg.wave());
    let key = lonjak_seal::SealPublicKey::from_base64(lonjak_seal::DEVELOPMENT_PUBLIC_KEY)?;
    let event = lonjak_seal::seal_submitted(&key, id, &reg, today)?;
    let envelope = Envelope::event(uuid_like(), event);
    Ok(serde_json::to_vec(&envelope)?)
}

fn uuid_like() -> String {
    "0193b1e2-7c1d-7a8e-9f00-2b7c1d5e6f70".to_owned()
}

/// The properties the gateway sets (see `lonjak_bus::headers`): the basic
/// ones with `properties`, the header table too with `headers`; else bare.
fn properties(properties: bool, headers: bool) -> BasicProperties {
    let mut props = BasicProperties::default().with_delivery_mode(2);
    if properties || headers {
        props = props
            .with_content_type("application/json".into())
            .with_message_id(ShortString::from(uuid_like()))
            .with_correlation_id(ShortString::from(uuid_like()))
            .with_type(ShortString::from(SUBMITTED))
            .with_timestamp(1_700_000_000);
    }
    if headers {
        let mut table = FieldTable::default();
        let long = |s: &str| AMQPValue::LongString(LongString::from(s.as_bytes().to_vec()));
        let traceparent = TraceContext::new_root().traceparent;
        table.insert("traceparent".into(), long(&traceparent));
        table.insert("x-lonjak-routing-key".into(), long(SUBMITTED));
        props = props.with_headers(table);
    }
    props
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let name = format!("test-rawpub-{}", std::process::id());
    let conn = Connection::connect(&args.amqp_url, ConnectionProperties::default())
        .await
        .context("connecting")?;
    let setup = conn.create_channel().await?;
    let mut queue_args = FieldTable::default();
    queue_args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    setup
        .queue_declare(name.as_str().into(), durable, queue_args)
        .await?;
    let (exchange, routing_key) = if args.topic {
        let exchange = format!("{name}.events");
        let options = ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        };
        setup
            .exchange_declare(
                exchange.as_str().into(),
                ExchangeKind::Topic,
                options,
                FieldTable::default(),
            )
            .await?;
        setup
            .queue_bind(
                name.as_str().into(),
                exchange.as_str().into(),
                SUBMITTED.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        (exchange, SUBMITTED.to_owned())
    } else {
        (String::new(), name.clone())
    };
    let body = Arc::new(body(args.registration_body)?);
    let properties = properties(args.properties, args.headers);

    let confirmed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let broker_before = args.broker_pid.and_then(|p| cpu_seconds(Some(p)));
    let own_before = cpu_seconds(None);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.channels {
        let channel = conn.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        let window = Arc::new(Semaphore::new(args.outstanding / args.channels));
        let (exchange, routing_key) = (exchange.clone(), routing_key.clone());
        let (body, properties, confirmed) = (body.clone(), properties.clone(), confirmed.clone());
        let options = BasicPublishOptions {
            mandatory: args.mandatory,
            ..BasicPublishOptions::default()
        };
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let permit = window.clone().acquire_owned().await?;
                let confirm = channel
                    .basic_publish(
                        exchange.as_str().into(),
                        routing_key.as_str().into(),
                        options,
                        &body,
                        properties.clone(),
                    )
                    .await?;
                let confirmed = confirmed.clone();
                tokio::spawn(async move {
                    if matches!(confirm.await, Ok(c) if c.is_ack()) {
                        confirmed.fetch_add(1, Ordering::Relaxed);
                    }
                    drop(permit);
                });
            }
            // Wait for the last confirms of this channel.
            let _ = window
                .acquire_many((args.outstanding / args.channels) as u32)
                .await?;
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = confirmed.load(Ordering::Relaxed);
    let per_msg_us = |before: Option<f64>, after: Option<f64>| match (before, after) {
        (Some(b), Some(a)) if n > 0 => format!("{:.1}", (a - b) * 1e6 / n as f64),
        _ => "–".to_owned(),
    };
    let broker = per_msg_us(
        broker_before,
        args.broker_pid.and_then(|p| cpu_seconds(Some(p))),
    );
    let own = per_msg_us(own_before, cpu_seconds(None));
    println!(
        "rawpub {label}: {n} confirmed in {elapsed:.1} s = {rate:.0} msg/s; body {bytes} B; \
         broker {broker} µs/msg; publisher {own} µs/msg",
        label = args.label,
        rate = n as f64 / elapsed,
        bytes = body.len(),
    );
    setup
        .queue_delete(name.as_str().into(), QueueDeleteOptions::default())
        .await?;
    if args.topic {
        setup
            .exchange_delete(
                exchange.as_str().into(),
                lapin::options::ExchangeDeleteOptions::default(),
            )
            .await?;
    }
    let _ = conn.close(200, "done".into()).await;
    Ok(())
}
