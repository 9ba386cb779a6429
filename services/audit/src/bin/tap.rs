//! `lonjak-tap`: the broker side of `scripts/check-log-privacy.sh`.
//! `bind` before a run keeps a copy of every published and dead-lettered
//! message; `search --values FILE` after it reads those copies and every
//! queue of the topology raw and reports which known personal values (one
//! per line of FILE) appear in clear, without printing them. Exits 1 on a
//! hit.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use lonjak_bus::{BusSettings, Topology};

#[derive(Debug, Parser)]
#[command(name = "lonjak-tap", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Declare the tap queue and bind it to the event and dead-letter exchanges.
    Bind,
    /// Search the tap and every queue of the topology for the values in FILE.
    Search {
        #[arg(long)]
        values: PathBuf,
        /// Fail unless at least this many `registration.submitted` messages
        /// were read (the firehose must have been on).
        #[arg(long, default_value_t = 0)]
        expect_submitted: usize,
    },
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Settings {
    bus: BusSettings,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    lonjak_audit::init_logging();
    // The deployment's `bus.*` settings: the same prefix and queue names.
    let settings: Settings = lonjak_settings::load(&[]).context("loading the bus settings")?;
    let config = settings.bus.to_config();
    let topology = Topology::new(&config);
    match cli.command {
        Command::Bind => {
            let tap = lonjak_audit::tap::bind(&topology, &config.url).await?;
            println!("[tap] {tap} bound to the event and dead-letter exchanges");
        }
        Command::Search {
            values,
            expect_submitted,
        } => {
            let text = std::fs::read_to_string(&values)
                .with_context(|| format!("reading {}", values.display()))?;
            let values: Vec<String> = text
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            let found = lonjak_audit::tap::search(&topology, &config.url, &values).await?;
            for (_, queue) in &found.hits {
                println!("[tap] personal data in clear in {queue} (value withheld)");
            }
            println!(
                "[tap] read {} messages ({} of them registration.submitted; the tap's copies and the topology's queues) for {} known values: {} found",
                found.messages,
                found.submitted,
                values.len(),
                found.hits.len()
            );
            if found.submitted < expect_submitted {
                println!(
                    "[tap] expected at least {expect_submitted} registration.submitted messages: is tracing on (rabbitmqctl trace_on)?"
                );
                std::process::exit(1);
            }
            if !found.hits.is_empty() {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}
