//! One benchmark run: every level in turn, the queue counted after each,
//! then the report.

use std::time::Duration;

use anyhow::Context;
use lonjak_bus::{Bus, WorkQueue};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::args::RunArgs;
use crate::generator::{Plan, Target, run_level};
use crate::machine;
use crate::queue::{bus_config, intake_depth};
use crate::report::{LevelReport, QueueCheck, RunReport};

/// Bound on one request, answer included: a stuck gateway shows up as
/// transport failures instead of a run that never ends.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(args: &RunArgs) -> anyhow::Result<RunReport> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(args.max_inflight)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("building the HTTP client")?;
    let bus = Bus::connect(bus_config(
        &args.amqp_url,
        &args.prefix,
        args.intake_max_length,
    ))
    .await
    .context("connecting to the broker (is --intake-max-length the gateway's?)")?;
    let queue_name = bus.topology().queue(WorkQueue::Verifier);
    let before = intake_depth(&bus).await?;

    let target = Target {
        client,
        url: format!("{}/v1/registrations", args.url.trim_end_matches('/')),
        mix: args.mix,
        max_inflight: args.max_inflight,
        today: lonjak_domain::submission_date(OffsetDateTime::now_utc()),
    };
    let date = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let mut levels = Vec::new();
    let mut first_id = args.first_id;
    let mut depth = before;
    for (i, &multiplier) in args.levels.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(args.pause).await;
        }
        let rate = args.rate * u64::from(multiplier);
        let load = machine::load_average();
        eprintln!(
            "level {multiplier}×: {rate}/s for {}s",
            args.duration.as_secs()
        );
        let plan = Plan {
            rate,
            duration: args.duration,
            first_id,
        };
        let cpu_before = (machine::cpu_seconds(None), gateway_cpu(args));
        let run = run_level(&target, plan).await?;
        let secs = run.send_window.as_secs_f64().max(f64::EPSILON);
        let cpu_after = (machine::cpu_seconds(None), gateway_cpu(args));
        first_id += run.scheduled;
        let mut level = LevelReport::new(multiplier, rate, run);
        level.load_before = load;
        level.generator_cores = cpu_before.0.zip(cpu_after.0).map(|(a, b)| (b - a) / secs);
        level.gateway_cores = cpu_before.1.zip(cpu_after.1).map(|(a, b)| (b - a) / secs);
        let now = intake_depth(&bus).await?;
        level.queue_gain = Some(i64::from(now) - i64::from(depth));
        depth = now;
        eprintln!(
            "  sent {:.0}/s, dropped {}, accepted {:.0}/s, statuses {:?}",
            level.sent_per_sec, level.dropped, level.accepted_per_sec, level.by_status
        );
        levels.push(level);
    }
    // A publish whose confirm timed out (a 503) may still land: look again.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = intake_depth(&bus).await?;
    bus.close().await;

    let mut report = RunReport {
        date,
        machine: machine::describe(),
        target: target.url.clone(),
        sustainable_rate: args.rate,
        max_inflight: args.max_inflight,
        clients: clients_text(args),
        gateway: args.gateway.clone(),
        queue: Some(QueueCheck {
            queue: queue_name,
            messages_before: before,
            messages_after: after,
            accepted_total: levels.iter().map(|l| l.accepted).sum(),
        }),
        levels,
        goals: Vec::new(),
    };
    report.evaluate();
    Ok(report)
}

fn gateway_cpu(args: &RunArgs) -> Option<f64> {
    args.gateway_pid
        .and_then(|pid| machine::cpu_seconds(Some(pid)))
}

fn clients_text(args: &RunArgs) -> String {
    let mix = args.mix;
    if mix.clients == 0 {
        return "no X-Forwarded-For: every request charged to 127.0.0.1".to_owned();
    }
    format!(
        "X-Forwarded-For over {} applicant addresses (198.18.0.0/16, round-robin) \
         plus {} hot addresses sending {:.2}% of requests (198.19.0.0/16)",
        mix.clients,
        mix.hot_clients,
        f64::from(mix.hot_per_10k) / 100.0
    )
}
