//! `lonjak-inject`: fault injection on the local broker for
//! `loadtest/fault.sh` (poison messages, duplicate deliveries).

use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use lonjak_bus::{Bus, BusSettings, WorkQueue};

#[derive(Debug, Parser)]
#[command(name = "lonjak-inject", version)]
struct Cli {
    /// RabbitMQ of the pipeline (default: the `bus.url` setting, e.g. LONJAK_BUS__URL).
    #[arg(long)]
    bus_url: Option<String>,
    /// Prefix of every exchange and queue name (default: the `bus.prefix` setting).
    #[arg(long)]
    bus_prefix: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Publish one message of each poison kind (invalid JSON, unknown schema
    /// version, missing fields) straight into QUEUE; prints `kind id` lines.
    Poison { queue: Queue },
    /// Take messages off QUEUE for --for-secs and put each back twice (at
    /// once), then each once again at the end; at most --cap messages.
    Duplicate {
        queue: Queue,
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
        for_secs: u64,
        /// Most messages duplicated.
        #[arg(long, default_value_t = 20_000)]
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

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Settings {
    bus: BusSettings,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Queue {
    Verifier,
    Eligibility,
    /// The notifier's email queue.
    #[value(name = "notify.email")]
    NotifyEmail,
    /// The notifier's SMS queue.
    #[value(name = "notify.sms")]
    NotifySms,
    PhotoCheck,
}

impl From<Queue> for WorkQueue {
    fn from(queue: Queue) -> Self {
        match queue {
            Queue::Verifier => WorkQueue::Verifier,
            Queue::Eligibility => WorkQueue::Eligibility,
            Queue::NotifyEmail => WorkQueue::NotifyEmail,
            Queue::NotifySms => WorkQueue::NotifySms,
            Queue::PhotoCheck => WorkQueue::PhotoCheck,
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    lonjak_audit::init_logging();
    // The deployment's `bus.*` settings (the one settings loader): the
    // topology's shape must match the broker's queues.
    let settings: Settings = lonjak_settings::load(&[]).context("loading the bus settings")?;
    let mut config = settings.bus.to_config();
    if let Some(url) = &cli.bus_url {
        config.url.clone_from(url);
    }
    if let Some(prefix) = &cli.bus_prefix {
        config.prefix.clone_from(prefix);
    }
    let amqp_url = config.url.clone();
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
                &amqp_url,
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
                lonjak_audit::inject::remove_dead_letters(&bus, &amqp_url, queue.into(), &ids)
                    .await
                    .map(|n| println!("removed {n} dead letter(s)"))
            }
        };
    bus.close().await;
    result
}
