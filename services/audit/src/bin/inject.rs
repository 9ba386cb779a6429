//! `lonjak-inject`: fault injection on the local broker for
//! `loadtest/fault.sh` (poison messages, duplicate deliveries).

use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use lonjak_bus::{Bus, BusConfig, WorkQueue};

#[derive(Debug, Parser)]
#[command(name = "lonjak-inject", version)]
struct Cli {
    /// RabbitMQ of the pipeline.
    #[arg(
        long,
        env = "LONJAK_BUS__URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f",
        hide_env_values = true
    )]
    bus_url: String,
    /// Prefix of every exchange and queue name.
    #[arg(long, env = "LONJAK_BUS__PREFIX", default_value = "")]
    bus_prefix: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Publish one message of each poison kind (invalid JSON, unknown schema
    /// version, missing fields) straight into QUEUE; prints `kind id` lines.
    Poison { queue: Queue },
    /// Re-publish QUEUE's traffic into it: each message once more at once,
    /// for --for-secs, then all of them once again.
    Duplicate {
        queue: Queue,
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
        for_secs: u64,
        /// Most messages kept for the late copy.
        #[arg(long, default_value_t = 100_000)]
        cap: usize,
    },
    /// Remove the dead letters of QUEUE with these message ids (the poison
    /// injected earlier); every other letter stays.
    RemoveDeadLetters {
        queue: Queue,
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Queue {
    Verifier,
    Eligibility,
    Notifier,
}

impl From<Queue> for WorkQueue {
    fn from(queue: Queue) -> Self {
        match queue {
            Queue::Verifier => WorkQueue::Verifier,
            Queue::Eligibility => WorkQueue::Eligibility,
            Queue::Notifier => WorkQueue::Notifier,
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    lonjak_audit::init_logging();
    let config = BusConfig {
        url: cli.bus_url.clone(),
        prefix: cli.bus_prefix.clone(),
        ..BusConfig::default()
    };
    let bus = Bus::connect(config)
        .await
        .context("connecting to the broker")?;
    let result =
        match cli.command {
            Command::Poison { queue } => lonjak_audit::inject::poison(&bus, queue.into())
                .await
                .map(|sent| {
                    for (kind, id) in sent {
                        println!("{kind} {id}");
                    }
                }),
            Command::Duplicate {
                queue,
                for_secs,
                cap,
            } => lonjak_audit::inject::duplicate(
                &bus,
                &cli.bus_url,
                queue.into(),
                Duration::from_secs(for_secs),
                cap,
            )
            .await
            .map(|d| {
                println!(
                    "duplicated {} deliveries at once and {} late",
                    d.at_once, d.late
                );
            }),
            Command::RemoveDeadLetters { queue, ids } => {
                lonjak_audit::inject::remove_dead_letters(&bus, &cli.bus_url, queue.into(), &ids)
                    .await
                    .map(|n| println!("removed {n} dead letter(s)"))
            }
        };
    bus.close().await;
    result
}
