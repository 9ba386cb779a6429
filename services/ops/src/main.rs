//! `lonjak-ops`: migrations, topology, dead-letter replay, waves, selection
//! and explanations for operators. Waves, selection, explanations, the
//! funnel, re-joining and retention go through the admin API with a bearer token
//! (`via_admin`); `--direct-database` acts on the database instead
//! (`direct`: bootstrapping, benchmarks). Migrations, topology and dead
//! letters act on the database and broker directly.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use lonjak_bus::{Bus, BusSettings, WorkQueue, dlq};
use lonjak_domain::{RegistrationId, Wave};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

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
    /// The admin API the wave, select, explain, funnel and rejoin commands
    /// act through, with the bearer token in `LONJAK_ADMIN_TOKEN`.
    #[arg(
        long,
        env = "LONJAK_ADMIN__URL",
        default_value = "http://127.0.0.1:8081",
        global = true
    )]
    admin_url: String,
    /// Act on the database (and broker) directly instead of through the
    /// admin API: for bootstrapping before the API runs, and for the
    /// selection benchmark. Needs the database's own credentials.
    #[arg(
        long,
        env = "LONJAK_OPS_DIRECT_DATABASE",
        global = true,
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    direct_database: bool,
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
    /// Create, open, close and list waves.
    #[command(subcommand)]
    Wave(WaveCommand),
    /// Select a closed wave (rank, quota, KK cap, inside PostgreSQL), then
    /// announce every decision. Safe to run again: it resumes.
    Select {
        #[arg(long)]
        wave: u32,
        /// Sort memory PostgreSQL may use for the ranking.
        #[arg(long, default_value = "256MB")]
        work_mem: String,
        /// Decisions per `selection.decided` event of the announcement (the
        /// notifier reads a page's decisions in one query and tells each
        /// applicant on it).
        #[arg(long, default_value_t = 500)]
        page: u32,
    },
    /// Print a registration's score, its parts, rank and decision.
    Explain { registration_id: String },
    /// Counts per state of a wave, with the gateway's accepted count.
    Funnel {
        #[arg(long)]
        wave: u32,
        /// The gateway's metrics (its ops listener).
        #[arg(long, default_value = "http://127.0.0.1:9100/metrics")]
        gateway_metrics: String,
    },
    /// Move a waitlisted applicant into the next open wave (once).
    Rejoin { registration_id: String },
    /// Data keys at rest (docs/operations.md).
    #[command(subcommand)]
    Keys(lonjak_ops::keys::KeysCommand),
    /// Personal data of rejected and waitlisted applicants, a period after
    /// their wave's announcement: what would be erased, and the erasure.
    #[command(subcommand)]
    Retention(lonjak_ops::retention_cmd::RetentionCommand),
    /// The support desk's access log, newest first (operators).
    AccessLog(support_cli::AccessLogArgs),
    /// The support desk: agents' look-ups and actions, operators' replay
    /// requests.
    #[command(subcommand)]
    Support(support_cli::SupportCommand),
}

#[derive(Debug, Subcommand)]
enum WaveCommand {
    /// Create a wave, planned (not open yet).
    Create {
        wave: u32,
        #[arg(long)]
        quota: u32,
        /// RFC 3339; default now.
        #[arg(long)]
        opens_at: Option<String>,
        /// RFC 3339; default: until closed.
        #[arg(long)]
        closes_at: Option<String>,
        /// Whether applicants must have verified their email to be
        /// selected: `true` (the default) or `false`.
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        email_verification_required: bool,
        /// Whether both photos (identity card and selfie) must have been
        /// accepted by the photo check to be selected: `false` (the
        /// default) or `true`.
        #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
        photos_required: bool,
    },
    /// Open a planned wave for registrations.
    Open { wave: u32 },
    /// Close an open wave (gateways refuse it within their poll interval).
    Close { wave: u32 },
    /// Every wave.
    List,
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

mod direct;
mod support_agent;
mod support_cli;
mod via_admin;

#[cfg(test)]
use direct::accepted_in;

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
        // Keys are the database's own business: never through the admin API
        // (whose data key serves the support desk's masked look-ups only).
        Command::Keys(ref command) => {
            lonjak_ops::keys::run(command, &cli.database_url, direct::OPS_QUERY_TIMEOUT).await?
        }
        Command::Retention(ref command) => {
            let direct = cli.direct_database.then_some(cli.database_url.as_str());
            lonjak_ops::retention_cmd::run(
                command,
                &cli.admin_url,
                direct,
                direct::OPS_QUERY_TIMEOUT,
            )
            .await?
        }
        // The desk lives in the admin API: no direct-database mode.
        Command::AccessLog(ref args) => support_cli::access_log(&cli, args).await?,
        Command::Support(ref command) => support_cli::run(&cli, command).await?,
        ref command if !cli.direct_database => via_admin::run(&cli, command).await?,
        Command::Wave(ref command) => direct::wave_command(&cli, command).await?,
        Command::Select {
            wave,
            ref work_mem,
            page,
        } => direct::select(&cli, wave_number(wave)?, work_mem, page).await?,
        Command::Explain {
            ref registration_id,
        } => direct::explain(&cli, &parse_id(registration_id)?).await?,
        Command::Funnel {
            wave,
            ref gateway_metrics,
        } => direct::funnel(&cli, wave_number(wave)?, gateway_metrics).await?,
        Command::Rejoin {
            ref registration_id,
        } => direct::rejoin(&cli, &parse_id(registration_id)?).await?,
    }
    Ok(())
}

fn wave_number(n: u32) -> anyhow::Result<Wave> {
    Wave::new(n).map_err(|e| anyhow::anyhow!("wave {n}: {e}"))
}

fn parse_id(value: &str) -> anyhow::Result<RegistrationId> {
    RegistrationId::parse(value.trim()).map_err(|e| anyhow::anyhow!("registration id: {e}"))
}

fn parse_time(value: Option<&str>, flag: &str) -> anyhow::Result<Option<OffsetDateTime>> {
    value
        .map(|v| {
            OffsetDateTime::parse(v, &Rfc3339).with_context(|| format!("{flag}: not RFC 3339"))
        })
        .transpose()
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
#[path = "main_tests.rs"]
mod tests;
