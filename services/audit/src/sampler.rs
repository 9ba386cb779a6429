//! `lonjak-sampler`: once a second, the intake queue's depth (passive
//! `queue_declare` over AMQP, so no management plugin is needed) and the
//! gateway's cumulative intake counters (its `/metrics`), appended to a CSV
//! that the audit charts. A sample that cannot be taken leaves empty cells:
//! the sampler must keep going through broker or gateway restarts.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties};

/// Outcome columns, in the order written. Anything else the gateway reports
/// is summed into `other`, so the header never changes during a run.
pub const OUTCOMES: [&str; 10] = [
    "accepted",
    "invalid",
    "rate_limited_client",
    "rate_limited_global",
    "overloaded_inflight",
    "queue_full",
    "broker_blocked",
    "broker_unavailable",
    "unconfirmed",
    "other",
];

const METRIC: &str = "lonjak_intake_requests_total{";
/// Each probe gets at most this long, so one slow probe cannot stall sampling.
const PROBE_TIMEOUT: Duration = Duration::from_millis(800);
/// Opening an AMQP connection can take seconds on a busy broker; samples
/// are skipped meanwhile, and the connection is then kept.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Samples the intake queue's depth and the gateway's intake counters until
/// SIGINT or SIGTERM.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "lonjak-sampler", version)]
pub struct SamplerArgs {
    /// Broker to ask for the queue's depth.
    #[arg(
        long,
        env = "LONJAK_BUS__URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f",
        hide_env_values = true
    )]
    pub amqp_url: String,
    /// The intake queue (with the deployment's prefix, if any).
    #[arg(long, default_value = "verifier")]
    pub queue: String,
    /// The gateway's Prometheus endpoint.
    #[arg(long, default_value = "http://127.0.0.1:9100/metrics")]
    pub metrics_url: String,
    /// CSV file to create.
    #[arg(long)]
    pub out: PathBuf,
    /// Time between samples, in milliseconds (at least 100).
    #[arg(long = "interval-ms", value_parser = interval, default_value = "1000")]
    pub interval: Duration,
}

fn interval(raw: &str) -> Result<Duration, String> {
    raw.parse::<u64>()
        .map(|ms| Duration::from_millis(ms.max(100)))
        .map_err(|_| "a whole number of milliseconds".to_owned())
}

/// Sums `lonjak_intake_requests_total` by outcome from Prometheus text,
/// folding outcomes outside [`OUTCOMES`] into `other`.
pub fn parse_intake(text: &str) -> BTreeMap<&'static str, f64> {
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with(METRIC)) {
        let Some((labels, value)) = line[METRIC.len()..].rsplit_once('}') else {
            continue;
        };
        let Some(value) = value
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
        else {
            continue;
        };
        let outcome = labels
            .split(',')
            .find_map(|l| l.trim().strip_prefix("outcome=\""))
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or("other");
        let column = OUTCOMES
            .iter()
            .find(|o| **o == outcome)
            .copied()
            .unwrap_or("other");
        *out.entry(column).or_insert(0.0) += value;
    }
    out
}

/// One CSV row: empty cells for whatever could not be read.
pub fn csv_row(
    unix_ms: u128,
    depth: Option<u32>,
    intake: Option<&BTreeMap<&'static str, f64>>,
) -> String {
    let mut row = format!(
        "{unix_ms},{}",
        depth.map(|d| d.to_string()).unwrap_or_default()
    );
    for outcome in OUTCOMES {
        row.push(',');
        if let Some(intake) = intake {
            row.push_str(&intake.get(outcome).copied().unwrap_or(0.0).to_string());
        }
    }
    row
}

/// The header matching [`csv_row`].
pub fn csv_header() -> String {
    format!("unix_ms,queue_messages,{}", OUTCOMES.join(","))
}

async fn bounded<T, E>(fut: impl Future<Output = Result<T, E>>) -> Option<T> {
    bounded_by(PROBE_TIMEOUT, fut).await
}

async fn bounded_by<T, E>(limit: Duration, fut: impl Future<Output = Result<T, E>>) -> Option<T> {
    tokio::time::timeout(limit, fut).await.ok()?.ok()
}

/// Reads a queue's depth with a passive declare, keeping one connection
/// across samples and reconnecting only when it is gone.
pub struct QueueDepthProbe {
    url: String,
    queue: String,
    conn: Option<Connection>,
    channel: Option<Channel>,
}

impl QueueDepthProbe {
    /// A probe for `queue` on the broker at `url`; connects lazily.
    pub fn new(url: impl Into<String>, queue: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            queue: queue.into(),
            conn: None,
            channel: None,
        }
    }

    /// Ready messages in the queue, or `None` when the broker or the queue
    /// cannot be reached within the probe timeout.
    pub async fn depth(&mut self) -> Option<u32> {
        if !self.conn.as_ref().is_some_and(|c| c.status().connected()) {
            self.channel = None;
            self.conn = Some(
                bounded_by(
                    CONNECT_TIMEOUT,
                    Connection::connect(&self.url, ConnectionProperties::default()),
                )
                .await?,
            );
        }
        if !self
            .channel
            .as_ref()
            .is_some_and(|c| c.status().connected())
        {
            let conn = self.conn.as_ref()?;
            self.channel = Some(bounded_by(CONNECT_TIMEOUT, conn.create_channel()).await?);
        }
        // Passive: only asks for the queue's counts, never creates it.
        let options = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let declared = bounded(self.channel.as_ref()?.queue_declare(
            self.queue.as_str().into(),
            options,
            FieldTable::default(),
        ))
        .await;
        if declared.is_none() {
            // A failed passive declare (no such queue yet) closes the channel.
            self.channel = None;
        }
        declared.map(|q| q.message_count())
    }
}

/// Samples until SIGINT or SIGTERM.
pub async fn run(args: SamplerArgs) -> anyhow::Result<()> {
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut out = std::io::LineWriter::new(file);
    writeln!(out, "{}", csv_header()).context("writing the CSV header")?;
    let http = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .build()
        .context("building the HTTP client")?;
    let mut broker = QueueDepthProbe::new(args.amqp_url, args.queue);
    let mut tick = tokio::time::interval(args.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Both handlers are installed once, before the loop: a signal that
    // arrives while a sample is being taken must still end the loop.
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    loop {
        tokio::select! {
            _ = int.recv() => break,
            _ = term.recv() => break,
            _ = tick.tick() => {}
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let (depth, body) = tokio::join!(broker.depth(), async {
            let response = bounded(http.get(&args.metrics_url).send()).await?;
            bounded(response.text()).await
        });
        let intake = body.as_deref().map(parse_intake);
        writeln!(out, "{}", csv_row(now, depth, intake.as_ref())).context("appending a sample")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intake_counters_are_summed_by_outcome_and_unknown_outcomes_fold_into_other() {
        let text = "# HELP lonjak_intake_requests Requests.\n\
                    # TYPE lonjak_intake_requests counter\n\
                    lonjak_intake_requests_total{outcome=\"accepted\"} 120\n\
                    lonjak_intake_requests_total{route=\"/v1\",outcome=\"queue_full\"} 3\n\
                    lonjak_intake_requests_total{outcome=\"payload_too_large\"} 2\n\
                    lonjak_intake_requests_total{outcome=\"malformed\"} 1\n\
                    lonjak_other_total{outcome=\"accepted\"} 99\n";
        let intake = parse_intake(text);
        assert_eq!(intake.get("accepted"), Some(&120.0));
        assert_eq!(intake.get("queue_full"), Some(&3.0));
        assert_eq!(intake.get("other"), Some(&3.0));
    }

    #[test]
    fn rows_match_the_header_and_leave_unreadable_cells_empty() {
        let header_cells = csv_header().split(',').count();
        let intake = BTreeMap::from([("accepted", 5.0)]);
        let full = csv_row(1000, Some(7), Some(&intake));
        let empty = csv_row(2000, None, None);
        assert_eq!(full.split(',').count(), header_cells);
        assert_eq!(empty.split(',').count(), header_cells);
        assert!(full.starts_with("1000,7,5,0,"));
        assert_eq!(empty, format!("2000,{}", ",".repeat(OUTCOMES.len())));
    }

    #[test]
    fn sampler_arguments_need_an_output_file() {
        use clap::Parser as _;
        let args = |v: &[&str]| {
            SamplerArgs::try_parse_from(std::iter::once("lonjak-sampler").chain(v.iter().copied()))
        };
        assert!(args(&[]).is_err());
        let parsed = args(&["--out", "s.csv", "--queue", "p.verifier"]).unwrap();
        assert_eq!(parsed.queue, "p.verifier");
        assert_eq!(parsed.interval, Duration::from_millis(1000));
    }
}
