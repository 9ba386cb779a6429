//! Command-line arguments of `lonjak-audit` (clap, with environment
//! fallbacks), parsed once into typed values.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// A load-test run's wave number: positive, and the tag that keeps audits of
/// different runs apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wave(i32);

impl Wave {
    /// Parses a positive decimal wave number.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.parse::<i32>() {
            Ok(n) if n > 0 => Ok(Self(n)),
            _ => Err("a positive integer below 2^31".to_owned()),
        }
    }

    /// The wave as stored in `registrations.wave_id`.
    pub fn get(self) -> i32 {
        self.0
    }
}

/// The statuses that end a registration's journey through the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalStates(Vec<String>);

impl FinalStates {
    /// Parses a comma-separated list of lower-case status names.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let states: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let well_formed = |s: &String| s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if states.is_empty() || !states.iter().all(well_formed) {
            return Err("a comma-separated list of lower-case status names".to_owned());
        }
        Ok(Self(states))
    }

    /// The status names.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Whether `status` is one of the final states.
    pub fn contains(&self, status: &str) -> bool {
        self.0.iter().any(|s| s == status)
    }
}

/// A provider-side record of effects (`NAME=FILE`): one line per effect the
/// provider saw, `<registration_id> <key>`; an (id, key) seen twice is a
/// duplicated effect. Or a provider read live after the drain (`email=URL`
/// a maildev, `sms=URL` the SMS simulator), which also checks that every
/// final state's message arrived (`crate::notified`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectsFile {
    pub name: String,
    pub path: PathBuf,
}

impl EffectsFile {
    /// The provider to read live, when this names a URL.
    pub fn live(&self) -> Option<crate::notified::LiveProvider> {
        let url = self.path.to_str()?;
        (url.starts_with("http://") || url.starts_with("https://")).then(|| {
            crate::notified::LiveProvider {
                channel: self.name.clone(),
                url: url.to_owned(),
            }
        })
    }
}

impl EffectsFile {
    fn parse(raw: &str) -> Result<Self, String> {
        match raw.split_once('=') {
            Some((name, path))
                if !name.is_empty()
                    && !path.is_empty()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                let live = path.starts_with("http://") || path.starts_with("https://");
                if live && !matches!(name, "email" | "sms") {
                    return Err("a provider read live is email=URL (maildev) or sms=URL".to_owned());
                }
                Ok(Self {
                    name: name.to_owned(),
                    path: PathBuf::from(path),
                })
            }
            _ => Err("NAME=FILE, NAME made of letters, digits and _".to_owned()),
        }
    }
}

/// Checks that every registration accepted in one load-test run reached a
/// final state exactly once in effect, and writes the report.
#[derive(Debug, Clone, Parser)]
#[command(name = "lonjak-audit", version)]
pub struct AuditArgs {
    /// PostgreSQL URL of the pipeline's database (read only).
    #[arg(long, env = "LONJAK_DATABASE__URL", hide_env_values = true)]
    pub database_url: String,
    /// The run's tag: only registrations of this wave are audited.
    #[arg(long, value_parser = Wave::parse)]
    pub wave: Wave,
    /// k6 console output holding `ACCEPTED <id>` (and `REFUSED` / `NO_ANSWER`) lines.
    #[arg(long)]
    pub accepted: PathBuf,
    /// How long to wait for every stored registration to be final.
    #[arg(long = "deadline-secs", value_parser = secs, default_value = "120")]
    pub deadline: Duration,
    /// Statuses that end the pipeline.
    #[arg(long, value_parser = FinalStates::parse, default_value = "verified,rejected",
          env = "LONJAK_AUDIT_FINAL_STATES")]
    pub final_states: FinalStates,
    /// The JSON summary written by the scenarios' `handleSummary`.
    #[arg(long)]
    pub k6_summary: Option<PathBuf>,
    /// The sampler's CSV, for the chart and the gateway's counters at the start.
    #[arg(long)]
    pub samples: Option<PathBuf>,
    /// The gateway's `/metrics`, read once more after the drain: the counters
    /// at the end of the run, compared with what k6 was told.
    #[arg(long)]
    pub metrics_url: Option<String>,
    /// Requests other clients send to the same gateway during the run
    /// (wait-accuracy's status checker): each may add one answer to the
    /// gateway's counters that k6 never saw.
    #[arg(long, default_value = "0")]
    pub others_max: u64,
    /// A provider's record of effects, `NAME=FILE`, or a provider read live,
    /// `email=URL` (maildev) / `sms=URL` (SMS simulator) (repeatable).
    #[arg(long = "effects", value_parser = EffectsFile::parse)]
    pub effects: Vec<EffectsFile>,
    /// Directory receiving `report.md`, `chart.svg` and `audit.json`.
    #[arg(long)]
    pub out: PathBuf,
    /// Pause between drain checks.
    #[arg(long = "poll-millis", value_parser = millis, default_value = "1000")]
    pub poll_interval: Duration,
}

fn secs(raw: &str) -> Result<Duration, String> {
    raw.parse()
        .map(Duration::from_secs)
        .map_err(|_| "a whole number of seconds".to_owned())
}

fn millis(raw: &str) -> Result<Duration, String> {
    match raw.parse() {
        Ok(n) if n > 0 => Ok(Duration::from_millis(n)),
        _ => Err("a positive whole number of milliseconds".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<AuditArgs, clap::Error> {
        AuditArgs::try_parse_from(std::iter::once("lonjak-audit").chain(args.iter().copied()))
    }

    const REQUIRED: [&str; 8] = [
        "--database-url",
        "postgres://x",
        "--wave",
        "7",
        "--accepted",
        "a.log",
        "--out",
        "dir",
    ];

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory as _;
        AuditArgs::command().debug_assert();
    }

    #[test]
    fn required_flags_alone_give_the_documented_defaults() {
        let args = parse(&REQUIRED).unwrap();
        assert_eq!(args.wave.get(), 7);
        assert_eq!(args.deadline, Duration::from_secs(120));
        assert_eq!(args.final_states.as_slice(), ["verified", "rejected"]);
        assert!(args.k6_summary.is_none() && args.effects.is_empty());
    }

    #[test]
    fn inline_values_final_states_and_effects_are_understood() {
        let mut all = REQUIRED.to_vec();
        all.extend([
            "--deadline-secs=5",
            "--final-states",
            "selected, waitlisted",
            "--effects",
            "sms=/tmp/sms.txt",
            "--effects=email=mail.txt",
        ]);
        let args = parse(&all).unwrap();
        assert_eq!(args.deadline, Duration::from_secs(5));
        assert!(args.final_states.contains("waitlisted"));
        assert!(!args.final_states.contains("verified"));
        assert_eq!(args.effects.len(), 2);
        assert_eq!(args.effects[1].name, "email");
        assert_eq!(args.effects[1].path, PathBuf::from("mail.txt"));
        assert!(args.effects[1].live().is_none());
        let mut live = REQUIRED.to_vec();
        live.extend(["--effects", "sms=http://127.0.0.1:8091"]);
        let args = parse(&live).unwrap();
        assert_eq!(
            args.effects[0].live().map(|p| p.channel),
            Some("sms".to_owned())
        );
        let mut unknown = REQUIRED.to_vec();
        unknown.extend(["--effects", "fax=http://127.0.0.1:1"]);
        assert!(parse(&unknown).is_err());
    }

    #[test]
    fn a_missing_wave_or_a_malformed_value_is_an_error() {
        assert!(parse(&["--database-url", "x", "--accepted", "a", "--out", "o"]).is_err());
        let mut bad = REQUIRED.to_vec();
        bad.extend(["--effects", "no-equals-sign"]);
        assert!(parse(&bad).is_err());
        assert!(parse(&["--frobnicate"]).is_err());
    }

    #[test]
    fn zero_and_negative_waves_are_refused() {
        assert!(Wave::parse("0").is_err());
        assert!(Wave::parse("-3").is_err());
        assert!(Wave::parse("x").is_err());
    }
}
