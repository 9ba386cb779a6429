//! Command-line arguments (a handful of `--key value` pairs).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::clients::{ClientMix, MAX_CLIENTS};

pub const USAGE: &str = "\
usage: lonjak-bench run --rate S [options]
       lonjak-bench cleanup --bus-prefix P [--amqp-url U]

run: drive POST /v1/registrations open-loop at each multiple of S.
  --rate S                sustainable rate (requests/s); levels are multiples of it
  --levels 1,3,10         multiples of S to run, in order
  --duration-secs 20      length of each level
  --pause-secs 3          idle time between levels (limiters refill)
  --url URL               gateway base URL, on this machine [http://127.0.0.1:8080]
  --max-inflight 2000     requests outstanding at once; beyond it sends are dropped
  --clients 50000         distinct X-Forwarded-For addresses (0: send no header)
  --hot-clients 10        addresses sending --hot-share of all requests
  --hot-share 1.0         percent of requests from the hot addresses
  --amqp-url URL          broker, to count the intake queue [amqp://guest:guest@127.0.0.1:5672/%2f]
  --bus-prefix P          the gateway's LONJAK_BUS__PREFIX [\"\"]
  --intake-max-length N   the gateway's LONJAK_BUS__INTAKE_MAX_LENGTH (must match)
  --first-id N            first applicant index [0]
  --gateway TEXT          the gateway's configuration, quoted in the report
  --gateway-pid PID       the gateway's process, to report the CPU it used
  --out-dir DIR           write admission.md and admission.json there
cleanup: delete the queues and exchanges of a (non-empty) bus prefix.";

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

impl Command {
    /// Parses the arguments after the program name.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> anyhow::Result<Self> {
        let mut args = args.into_iter();
        let verb = args.next().unwrap_or_default();
        let mut pairs = Vec::new();
        while let Some(key) = args.next() {
            let Some(name) = key.strip_prefix("--") else {
                bail!("unexpected argument {key:?}");
            };
            let value = args
                .next()
                .with_context(|| format!("--{name} needs a value"))?;
            pairs.push((name.to_owned(), value));
        }
        let get = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let known: &[&str] = match verb.as_str() {
            "run" => &[
                "rate",
                "levels",
                "duration-secs",
                "pause-secs",
                "url",
                "max-inflight",
                "clients",
                "hot-clients",
                "hot-share",
                "amqp-url",
                "bus-prefix",
                "intake-max-length",
                "first-id",
                "gateway",
                "gateway-pid",
                "out-dir",
            ],
            "cleanup" => &["amqp-url", "bus-prefix"],
            _ => bail!("unknown command {verb:?}"),
        };
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            bail!("unknown option --{k} for {verb}");
        }
        let amqp_url = get("amqp-url").unwrap_or_else(|| DEFAULT_AMQP.to_owned());
        if verb == "cleanup" {
            return Ok(Self::Cleanup {
                amqp_url,
                prefix: get("bus-prefix").context("--bus-prefix is required")?,
            });
        }

        let url = get("url").unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
        ensure_local(&url)?;
        let rate: u64 = number(get("rate").context("--rate is required")?, "rate")?;
        let levels = get("levels")
            .unwrap_or_else(|| "1,3,10".to_owned())
            .split(',')
            .map(|s| number::<u32>(s.trim().to_owned(), "levels"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(
            rate > 0 && !levels.is_empty() && levels.iter().all(|&m| m > 0),
            "--rate and every level must be positive"
        );
        let clients: u32 = number(get("clients").unwrap_or_else(|| "50000".into()), "clients")?;
        let hot_clients: u32 = number(
            get("hot-clients").unwrap_or_else(|| "10".into()),
            "hot-clients",
        )?;
        anyhow::ensure!(
            clients <= MAX_CLIENTS && hot_clients <= MAX_CLIENTS,
            "--clients and --hot-clients are at most {MAX_CLIENTS}"
        );
        let hot_share: f64 = number(
            get("hot-share").unwrap_or_else(|| "1.0".into()),
            "hot-share",
        )?;
        anyhow::ensure!(
            (0.0..=100.0).contains(&hot_share),
            "--hot-share is a percentage"
        );
        let max_inflight: usize = number(
            get("max-inflight").unwrap_or_else(|| "2000".into()),
            "max-inflight",
        )?;
        anyhow::ensure!(max_inflight > 0, "--max-inflight must be positive");
        let duration: u64 = number(
            get("duration-secs").unwrap_or_else(|| "20".into()),
            "duration-secs",
        )?;
        anyhow::ensure!(
            (1..=300).contains(&duration),
            "--duration-secs must be 1–300: each level is bounded"
        );
        let pause: u64 = number(
            get("pause-secs").unwrap_or_else(|| "3".into()),
            "pause-secs",
        )?;
        Ok(Self::Run(RunArgs {
            url,
            rate,
            levels,
            duration: Duration::from_secs(duration),
            pause: Duration::from_secs(pause),
            max_inflight,
            mix: ClientMix {
                clients,
                hot_clients,
                // A percentage in [0, 100] times 100 fits a u32.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                hot_per_10k: (hot_share * 100.0).round() as u32,
            },
            amqp_url,
            prefix: get("bus-prefix").unwrap_or_default(),
            intake_max_length: get("intake-max-length")
                .map(|v| number(v, "intake-max-length"))
                .transpose()?,
            first_id: number(get("first-id").unwrap_or_else(|| "0".into()), "first-id")?,
            gateway: get("gateway").unwrap_or_else(|| "(not given)".to_owned()),
            gateway_pid: get("gateway-pid")
                .map(|v| number(v, "gateway-pid"))
                .transpose()?,
            out_dir: get("out-dir").map(PathBuf::from),
        }))
    }
}

fn number<T: std::str::FromStr>(value: String, name: &str) -> anyhow::Result<T> {
    value
        .parse()
        .map_err(|_| anyhow::anyhow!("--{name}: {value:?} is not a valid number"))
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
        Command::parse(s.split_whitespace().map(str::to_owned))
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
