//! `lonjak-ops`: migrations, topology and dead-letter replay for operators.

use anyhow::{Context, bail};
use lonjak_bus::{Bus, BusConfig, WorkQueue, dlq};

const USAGE: &str = "usage: lonjak-ops migrate | topology | dlq list QUEUE [LIMIT] | dlq replay QUEUE [MAX]\n\
QUEUE is one of verifier, eligibility, notifier (see README.md)";

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    lonjak_telemetry::init_tracing("ops");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["migrate"] => {
            lonjak_store::migrate(&env(
                "LONJAK_DATABASE__URL",
                "postgres://postgres:postgres@127.0.0.1:5432/lonjak",
            ))
            .await
            .context("applying migrations")?;
            println!("migrations applied");
        }
        ["topology"] => {
            let bus = connect().await?;
            println!(
                "topology declared: {}",
                bus.topology().all_queues().join(", ")
            );
            bus.close().await;
        }
        ["dlq", "list", queue, rest @ ..] => {
            let limit = number(rest.first(), 100)?;
            let bus = connect().await?;
            let letters = dlq::list(&bus, work_queue(queue)?, limit)
                .await
                .context("listing dead letters")?;
            println!(
                "{} dead letter(s) in {}",
                letters.len(),
                bus.topology().dlq(work_queue(queue)?)
            );
            for l in &letters {
                println!(
                    "{}\treason={}\tattempts={}\trouting_key={}\tbytes={}",
                    l.message_id.as_deref().unwrap_or("-"),
                    l.reason.as_deref().unwrap_or("-"),
                    l.attempts,
                    l.routing_key,
                    l.body_len
                );
            }
            bus.close().await;
        }
        ["dlq", "replay", queue, rest @ ..] => {
            let max = number(rest.first(), usize::MAX)?;
            let bus = connect().await?;
            let moved = dlq::replay(&bus, work_queue(queue)?, max)
                .await
                .context("replaying dead letters")?;
            println!(
                "replayed {moved} dead letter(s) to {}",
                bus.topology().queue(work_queue(queue)?)
            );
            bus.close().await;
        }
        _ => bail!("{USAGE}"),
    }
    Ok(())
}

fn env(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

async fn connect() -> anyhow::Result<Bus> {
    let config = BusConfig {
        url: env("LONJAK_BUS__URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
        prefix: env("LONJAK_BUS__PREFIX", ""),
        ..BusConfig::default()
    };
    Bus::connect(config)
        .await
        .context("connecting to the broker")
}

fn work_queue(name: &str) -> anyhow::Result<WorkQueue> {
    Ok(match name {
        "verifier" => WorkQueue::Verifier,
        "eligibility" => WorkQueue::Eligibility,
        "notifier" => WorkQueue::Notifier,
        other => bail!("unknown queue {other:?}\n{USAGE}"),
    })
}

fn number(arg: Option<&&str>, default: usize) -> anyhow::Result<usize> {
    arg.map_or(Ok(default), |s| {
        s.parse().with_context(|| format!("{s:?} is not a number"))
    })
}
