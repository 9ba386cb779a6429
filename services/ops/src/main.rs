//! `lonjak-ops`: migrations, topology and dead-letter replay for operators.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use lonjak_bus::{Bus, BusSettings, WorkQueue, dlq};

/// The operator's command line. Connection settings come from the same
/// environment variables as the services.
#[derive(Debug, Parser)]
#[command(name = "lonjak-ops", version)]
struct Cli {
    /// PostgreSQL of the pipeline.
    #[arg(
        long,
        env = "LONJAK_DATABASE__URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/lonjak",
        hide_env_values = true,
        global = true
    )]
    database_url: String,
    /// RabbitMQ of the pipeline (default: the `bus.url` setting, e.g. LONJAK_BUS__URL).
    #[arg(long, global = true)]
    bus_url: Option<String>,
    /// Prefix of every exchange and queue name (default: the `bus.prefix` setting).
    #[arg(long, global = true)]
    bus_prefix: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending database migrations (safe to run twice, or from two places at once).
    Migrate,
    /// Declare the exchanges and queues (every service also does this at start).
    Topology,
    /// Dead letters of one work queue.
    #[command(subcommand)]
    Dlq(DlqCommand),
}

#[derive(Debug, Subcommand)]
enum DlqCommand {
    /// Show dead letters without removing them (never their bodies).
    List {
        queue: Queue,
        /// At most this many.
        #[arg(default_value_t = 100)]
        limit: usize,
    },
    /// Move dead letters back to the work queue, attempts reset. Stops at the
    /// number the dead-letter queue held when it started.
    Replay {
        queue: Queue,
        /// At most this many (default: all those present at the start).
        max: Option<usize>,
    },
}

/// The work queues that have a dead-letter queue.
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

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    lonjak_telemetry::init_tracing("ops");
    match cli.command {
        Command::Migrate => {
            lonjak_store::migrate(&cli.database_url)
                .await
                .context("applying migrations")?;
            println!("migrations applied");
        }
        Command::Topology => {
            let bus = connect(&cli).await?;
            println!(
                "topology declared: {}",
                bus.topology().all_queues().join(", ")
            );
            bus.close().await;
        }
        Command::Dlq(DlqCommand::List { queue, limit }) => {
            let bus = connect(&cli).await?;
            let letters = dlq::list(&bus, queue.into(), limit)
                .await
                .context("listing dead letters")?;
            println!(
                "{} dead letter(s) in {}",
                letters.len(),
                bus.topology().dlq(queue.into())
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
        Command::Dlq(DlqCommand::Replay { queue, max }) => {
            let bus = connect(&cli).await?;
            let replayed = dlq::replay(&bus, queue.into(), max.unwrap_or(usize::MAX))
                .await
                .context("replaying dead letters")?;
            println!(
                "replayed {} dead letter(s) to {} ({} present at the start)",
                replayed.moved,
                bus.topology().queue(queue.into()),
                replayed.seen
            );
            bus.close().await;
        }
    }
    Ok(())
}

/// The `bus.*` section, through the settings loader every service uses:
/// the topology's shape (intake bound, delivery limit, retry delays) must be
/// the deployment's, or the broker refuses the declaration.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Settings {
    bus: BusSettings,
}

async fn connect(cli: &Cli) -> anyhow::Result<Bus> {
    let settings: Settings = lonjak_settings::load(&[]).context("loading the bus settings")?;
    let mut config = settings.bus.to_config();
    if let Some(url) = &cli.bus_url {
        config.url.clone_from(url);
    }
    if let Some(prefix) = &cli.bus_prefix {
        config.prefix.clone_from(prefix);
    }
    Bus::connect(config)
        .await
        .context("connecting to the broker")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }

    #[test]
    fn replay_without_max_moves_what_was_there_and_unknown_queues_are_refused() {
        let cli = Cli::try_parse_from(["lonjak-ops", "dlq", "replay", "notifier"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Dlq(DlqCommand::Replay {
                queue: Queue::Notifier,
                max: None
            })
        ));
        assert!(Cli::try_parse_from(["lonjak-ops", "dlq", "replay", "mailer"]).is_err());
        assert!(Cli::try_parse_from(["lonjak-ops", "dlq", "list", "verifier", "x"]).is_err());
    }
}
