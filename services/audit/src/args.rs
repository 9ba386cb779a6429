//! Command-line arguments of `lonjak-audit`, parsed once into typed values.
//!
//! The tool has a handful of flags, so a small hand-written parser keeps the
//! workspace free of a CLI framework.

use std::path::PathBuf;
use std::time::Duration;

/// Usage text printed by `--help` and on argument errors.
pub const USAGE: &str = "\
usage: lonjak-audit --database-url URL --wave N --accepted FILE --out DIR
                    [--deadline-secs 120] [--final-states verified,rejected]
                    [--k6-summary FILE] [--samples CSV] [--poll-millis 1000]";

/// A load-test run's wave number: positive, and the tag that keeps audits of
/// different runs apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wave(i32);

impl Wave {
    /// Parses a positive decimal wave number.
    pub fn parse(raw: &str) -> Result<Self, ArgsError> {
        match raw.parse::<i32>() {
            Ok(n) if n > 0 => Ok(Self(n)),
            _ => Err(ArgsError::Invalid {
                flag: "--wave",
                rule: "a positive integer below 2^31",
            }),
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
    pub fn parse(raw: &str) -> Result<Self, ArgsError> {
        let states: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let well_formed = |s: &String| s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if states.is_empty() || !states.iter().all(well_formed) {
            return Err(ArgsError::Invalid {
                flag: "--final-states",
                rule: "a comma-separated list of lower-case status names",
            });
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

/// Everything the audit needs to know about one run.
#[derive(Debug, Clone)]
pub struct AuditArgs {
    /// PostgreSQL URL of the pipeline's database (read only).
    pub database_url: String,
    /// The run's tag: only registrations of this wave are audited.
    pub wave: Wave,
    /// k6 console output holding `ACCEPTED <id>` lines.
    pub accepted: PathBuf,
    /// How long to wait for every accepted registration to be final.
    pub deadline: Duration,
    /// Statuses that end the pipeline.
    pub final_states: FinalStates,
    /// The JSON summary written by the scenarios' `handleSummary`.
    pub k6_summary: Option<PathBuf>,
    /// The sampler's CSV, for the chart and the gateway's outcome counts.
    pub samples: Option<PathBuf>,
    /// Directory receiving `report.md`, `chart.svg` and `audit.json`.
    pub out: PathBuf,
    /// Pause between drain checks.
    pub poll_interval: Duration,
}

/// Why the command line could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgsError {
    #[error("help requested")]
    Help,
    #[error("missing required flag {0}")]
    Missing(&'static str),
    #[error("flag {0} needs a value")]
    MissingValue(String),
    #[error("unknown argument {0}")]
    Unknown(String),
    #[error("{flag} must be {rule}")]
    Invalid {
        flag: &'static str,
        rule: &'static str,
    },
}

impl AuditArgs {
    /// Parses arguments (without the program name). Accepts `--flag value`
    /// and `--flag=value`.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Self, ArgsError> {
        let mut database_url = None;
        let mut wave = None;
        let mut accepted = None;
        let mut deadline = Duration::from_secs(120);
        let mut final_states = FinalStates(vec!["verified".into(), "rejected".into()]);
        let mut k6_summary = None;
        let mut samples = None;
        let mut out = None;
        let mut poll_interval = Duration::from_millis(1000);

        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            if arg == "--help" || arg == "-h" {
                return Err(ArgsError::Help);
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
                _ => (arg.clone(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| it.next())
                    .ok_or_else(|| ArgsError::MissingValue(flag.clone()))
            };
            match flag.as_str() {
                "--database-url" => database_url = Some(value()?),
                "--wave" => wave = Some(Wave::parse(&value()?)?),
                "--accepted" => accepted = Some(PathBuf::from(value()?)),
                "--deadline-secs" => deadline = Duration::from_secs(seconds(&value()?)?),
                "--final-states" => final_states = FinalStates::parse(&value()?)?,
                "--k6-summary" => k6_summary = Some(PathBuf::from(value()?)),
                "--samples" => samples = Some(PathBuf::from(value()?)),
                "--out" => out = Some(PathBuf::from(value()?)),
                "--poll-millis" => poll_interval = Duration::from_millis(millis(&value()?)?),
                _ => return Err(ArgsError::Unknown(arg)),
            }
        }
        Ok(Self {
            database_url: database_url.ok_or(ArgsError::Missing("--database-url"))?,
            wave: wave.ok_or(ArgsError::Missing("--wave"))?,
            accepted: accepted.ok_or(ArgsError::Missing("--accepted"))?,
            deadline,
            final_states,
            k6_summary,
            samples,
            out: out.ok_or(ArgsError::Missing("--out"))?,
            poll_interval,
        })
    }
}

fn seconds(raw: &str) -> Result<u64, ArgsError> {
    raw.parse().map_err(|_| ArgsError::Invalid {
        flag: "--deadline-secs",
        rule: "a whole number of seconds",
    })
}

fn millis(raw: &str) -> Result<u64, ArgsError> {
    match raw.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ArgsError::Invalid {
            flag: "--poll-millis",
            rule: "a positive whole number of milliseconds",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<AuditArgs, ArgsError> {
        AuditArgs::parse(args.iter().map(|s| (*s).to_owned()))
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
    fn required_flags_alone_give_the_documented_defaults() {
        let args = parse(&REQUIRED).unwrap();
        assert_eq!(args.wave.get(), 7);
        assert_eq!(args.deadline, Duration::from_secs(120));
        assert_eq!(args.final_states.as_slice(), ["verified", "rejected"]);
        assert!(args.k6_summary.is_none());
    }

    #[test]
    fn inline_values_and_final_states_are_understood() {
        let mut all = REQUIRED.to_vec();
        all.extend([
            "--deadline-secs=5",
            "--final-states",
            "selected, waitlisted",
        ]);
        let args = parse(&all).unwrap();
        assert_eq!(args.deadline, Duration::from_secs(5));
        assert!(args.final_states.contains("waitlisted"));
        assert!(!args.final_states.contains("verified"));
    }

    #[test]
    fn a_missing_wave_is_reported_by_name() {
        let err = parse(&["--database-url", "x", "--accepted", "a", "--out", "o"]).unwrap_err();
        assert_eq!(err, ArgsError::Missing("--wave"));
    }

    #[test]
    fn zero_and_negative_waves_are_refused() {
        assert!(Wave::parse("0").is_err());
        assert!(Wave::parse("-3").is_err());
        assert!(Wave::parse("x").is_err());
    }

    #[test]
    fn unknown_flags_and_trailing_flags_without_value_are_errors() {
        assert_eq!(
            parse(&["--frobnicate"]).unwrap_err(),
            ArgsError::Unknown("--frobnicate".into())
        );
        assert_eq!(
            parse(&["--wave"]).unwrap_err(),
            ArgsError::MissingValue("--wave".into())
        );
    }
}
