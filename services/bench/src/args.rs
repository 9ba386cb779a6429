//! Command-line arguments (clap, with environment fallbacks for the broker),
//! checked into a [`Command`].

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::clients::{ClientMix, MAX_CLIENTS};

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Run(RunArgs),
    Cleanup { amqp_url: String, prefix: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunArgs {
    pub url: String,
    pub rate: u64,
    pub levels: Vec<u32>,
    pub duration: Duration,
    pub pause: Duration,
    pub max_inflight: usize,
    pub mix: ClientMix,
    pub amqp_url: String,
    pub prefix: String,
    pub intake_max_length: Option<u32>,
    pub first_id: u64,
    pub gateway: String,
    pub gateway_pid: Option<u32>,
    pub out_dir: Option<PathBuf>,
}

const DEFAULT_AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// Open-loop benchmark of the gateway's admission control.
#[derive(Debug, Parser)]
#[command(name = "lonjak-bench", version)]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Drive POST /v1/registrations open-loop at each multiple of S.
    Run(RunFlags),
    /// Delete the queues and exchanges of a (non-empty) bus prefix.
    Cleanup {
        /// Broker.
        #[arg(long, env = "LONJAK_BUS__URL", default_value = DEFAULT_AMQP, hide_env_values = true)]
        amqp_url: String,
        /// The prefix whose topology is deleted.
        #[arg(long)]
        bus_prefix: String,
    },
}

#[derive(Debug, clap::Args)]
struct RunFlags {
    /// Sustainable rate S (requests/s); levels are multiples of it.
    #[arg(long)]
    rate: u64,
    /// Multiples of S to run, in order.
    #[arg(long, value_delimiter = ',', default_value = "1,3,10")]
    levels: Vec<u32>,
    /// Length of each level, 1–300 s.
    #[arg(long, default_value_t = 20)]
    duration_secs: u64,
    /// Idle time between levels (limiters refill).
    #[arg(long, default_value_t = 3)]
    pause_secs: u64,
    /// Gateway base URL, on this machine.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Requests outstanding at once; beyond it sends are dropped.
    #[arg(long, default_value_t = 2000)]
    max_inflight: usize,
    /// Distinct X-Forwarded-For addresses (0: send no header).
    #[arg(long, default_value_t = 50_000)]
    clients: u32,
    /// Addresses sending --hot-share of all requests.
    #[arg(long, default_value_t = 10)]
    hot_clients: u32,
    /// Percent of requests from the hot addresses.
    #[arg(long, default_value_t = 1.0)]
    hot_share: f64,
    /// Broker, to count the intake queue.
    #[arg(long, env = "LONJAK_BUS__URL", default_value = DEFAULT_AMQP, hide_env_values = true)]
    amqp_url: String,
    /// The gateway's LONJAK_BUS__PREFIX.
    #[arg(long, default_value = "")]
    bus_prefix: String,
    /// The gateway's LONJAK_BUS__INTAKE_MAX_LENGTH (must match).
    #[arg(long)]
    intake_max_length: Option<u32>,
    /// First applicant index.
    #[arg(long, default_value_t = 0)]
    first_id: u64,
    /// The gateway's configuration, quoted in the report.
    #[arg(long, default_value = "(not given)")]
    gateway: String,
    /// The gateway's process, to report the CPU it used.
    #[arg(long)]
    gateway_pid: Option<u32>,
    /// Write admission.md and admission.json there.
    #[arg(long)]
    out_dir: Option<PathBuf>,
}

impl Command {
    /// Parses the process's arguments; exits with a usage message (status 2)
    /// when they cannot be understood.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::check(Cli::parse())
    }

    /// Parses `args`, the program name first.
    pub fn try_parse_from<I, T>(args: I) -> anyhow::Result<Self>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Self::check(Cli::try_parse_from(args)?)
    }

    fn check(cli: Cli) -> anyhow::Result<Self> {
        let f = match cli.verb {
            Verb::Cleanup {
                amqp_url,
                bus_prefix,
            } => {
                return Ok(Self::Cleanup {
                    amqp_url,
                    prefix: bus_prefix,
                });
            }
            Verb::Run(flags) => flags,
        };
        ensure_local(&f.url)?;
        anyhow::ensure!(
            f.rate > 0 && !f.levels.is_empty() && f.levels.iter().all(|&m| m > 0),
            "--rate and every level must be positive"
        );
        anyhow::ensure!(
            f.clients <= MAX_CLIENTS && f.hot_clients <= MAX_CLIENTS,
            "--clients and --hot-clients are at most {MAX_CLIENTS}"
        );
        anyhow::ensure!(
            (0.0..=100.0).contains(&f.hot_share),
            "--hot-share is a percentage"
        );
        anyhow::ensure!(f.max_inflight > 0, "--max-inflight must be positive");
        anyhow::ensure!(
            (1..=300).contains(&f.duration_secs),
            "--duration-secs must be 1–300: each level is bounded"
        );
        Ok(Self::Run(RunArgs {
            url: f.url,
            rate: f.rate,
            levels: f.levels,
            duration: Duration::from_secs(f.duration_secs),
            pause: Duration::from_secs(f.pause_secs),
            max_inflight: f.max_inflight,
            mix: ClientMix {
                clients: f.clients,
                hot_clients: f.hot_clients,
                // A percentage in [0, 100] times 100 fits a u32.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                hot_per_10k: (f.hot_share * 100.0).round() as u32,
            },
            amqp_url: f.amqp_url,
            prefix: f.bus_prefix,
            intake_max_length: f.intake_max_length,
            first_id: f.first_id,
            gateway: f.gateway,
            gateway_pid: f.gateway_pid,
            out_dir: f.out_dir,
        }))
    }
}

/// Load is aimed at this machine only.
fn ensure_local(url: &str) -> anyhow::Result<()> {
    let rest = url
        .strip_prefix("http://")
        .context("--url must be http://127.0.0.1[:port]")?;
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    anyhow::ensure!(
        host == "127.0.0.1" || host == "localhost",
        "--url must point at 127.0.0.1 (got {url})"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> anyhow::Result<Command> {
        Command::try_parse_from(std::iter::once("lonjak-bench").chain(s.split_whitespace()))
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }

    #[test]
    fn run_has_defaults_for_everything_but_the_rate() {
        let Command::Run(a) = parse("run --rate 3000").unwrap() else {
            panic!("not a run");
        };
        assert_eq!(a.rate, 3000);
        assert_eq!(a.levels, [1, 3, 10]);
        assert_eq!(a.duration, Duration::from_secs(20));
        assert_eq!(a.mix.hot_per_10k, 100);
        assert_eq!(a.url, "http://127.0.0.1:8080");
        assert_eq!(a.intake_max_length, None);
    }

    #[test]
    fn options_are_read() {
        let Command::Run(a) = parse(
            "run --rate 10 --levels 1,2 --clients 0 --hot-share 2.5 --intake-max-length 99 \
             --url http://localhost:9/x",
        )
        .unwrap() else {
            panic!("not a run");
        };
        assert_eq!(a.levels, [1, 2]);
        assert_eq!(a.mix.clients, 0);
        assert_eq!(a.mix.hot_per_10k, 250);
        assert_eq!(a.intake_max_length, Some(99));
    }

    #[test]
    fn remote_targets_unbounded_levels_and_typos_are_refused() {
        assert!(parse("run --rate 10 --url http://10.0.0.1:8080").is_err());
        assert!(parse("run --rate 10 --url https://127.0.0.1").is_err());
        assert!(parse("run --rate 10 --duration-secs 0").is_err());
        assert!(parse("run --rate 10 --levels 1,0").is_err());
        assert!(parse("run --rate 10 --rat 5").is_err());
        assert!(parse("run").is_err());
        assert!(parse("bench --rate 10").is_err());
    }

    #[test]
    fn cleanup_needs_a_prefix() {
        assert!(parse("cleanup").is_err());
        assert_eq!(
            parse("cleanup --bus-prefix b1.").unwrap(),
            Command::Cleanup {
                amqp_url: DEFAULT_AMQP.to_owned(),
                prefix: "b1.".to_owned()
            }
        );
    }
}
