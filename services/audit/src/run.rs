//! The audit end to end: wait for the drain, classify, check the figures
//! against each other, write the report.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use diesel_async::AsyncPgConnection;

use crate::accepted::parse_attempts;
use crate::args::AuditArgs;
use crate::checks::{Check, GatewayCounts, all_agree, consistency};
use crate::classify::{Classification, classify, reached_final};
use crate::db::{self, RecordRow, Tables};
use crate::effects::repeated_effects;
use crate::k6::K6Summary;
use crate::notified::{self, LiveProvider, NotifiedVerdict};
use crate::percentile::percentile;
use crate::report::{ReportInput, render};
use crate::sampler::parse_intake;
use crate::samples::{Sample, parse_samples, series};
use crate::svg::render_chart;

/// How often progress is logged while waiting.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);
/// Bound on reading the gateway's counters at the end.
const METRICS_TIMEOUT: Duration = Duration::from_secs(5);

/// The audit's outcome: the classification and the figure checks.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub classes: Classification,
    pub checks: Vec<Check>,
}

impl Verdict {
    /// Nothing lost, duplicated, unexpected or stuck, and the figures agree.
    pub fn is_clean(&self) -> bool {
        self.classes.is_clean() && all_agree(&self.checks)
    }
}

/// Runs the audit and writes `report.md`, `chart.svg` and `audit.json` into
/// `args.out`. Returns the verdict; the caller decides the exit code.
pub async fn run(args: &AuditArgs) -> anyhow::Result<Verdict> {
    let text = std::fs::read_to_string(&args.accepted)
        .with_context(|| format!("reading accepted ids from {}", args.accepted.display()))?;
    let attempts = parse_attempts(&text);
    tracing::info!(
        accepted = attempts.accepted.len(),
        refused = attempts.refused.len(),
        no_answer = attempts.no_answer.len(),
        wave = args.wave.get(),
        "auditing run"
    );
    let provider_duplicates = read_effects(args)?;

    let mut conn = db::connect(&args.database_url)
        .await
        .context("connecting to PostgreSQL")?;
    let tables = db::tables(&mut conn)
        .await
        .context("inspecting the schema")?;
    if !tables.status_history || !tables.outbox {
        tracing::warn!(?tables, "optional tables missing: their checks are skipped");
    }
    let finals = args.final_states.as_slice();
    let drain = wait_for_drain(&mut conn, tables, args, &attempts.accepted).await?;

    let rows = db::load_records(&mut conn, tables, args.wave.get(), finals)
        .await
        .context("loading the wave's registrations")?;
    let facts: Vec<_> = rows.iter().map(RecordRow::facts).collect();
    let mut classes = classify(&attempts, &facts, &provider_duplicates, |s| {
        args.final_states.contains(s)
    });
    let live: Vec<LiveProvider> = args.effects.iter().filter_map(|e| e.live()).collect();
    if !live.is_empty() {
        let done: Vec<_> = facts
            .iter()
            .map(|f| {
                (
                    f.clone(),
                    reached_final(f, |s| args.final_states.contains(s)),
                )
            })
            .collect();
        let verdict = wait_for_notifications(&done, &live, args).await?;
        for (channel, ids) in &verdict.repeated {
            for id in ids {
                classes.duplicate(&format!("provider {channel}"), id);
            }
        }
        classes.unnotified = verdict.missing;
    }
    let e2e: Vec<f64> = rows
        .iter()
        .filter(|r| attempts.accepted.contains(&r.id))
        .filter_map(|r| end_to_end_ms(r, |s| args.final_states.contains(s)))
        .collect();

    let k6 = match &args.k6_summary {
        Some(path) => Some(read_k6(path)?),
        None => None,
    };
    let mut samples = match &args.samples {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading samples from {}", path.display()))?;
            parse_samples(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => Vec::new(),
    };
    // The run has fully ended now (k6 exited, the pipeline drained): the
    // gateway's counters read here include every answer it gave.
    let last = final_reading(args.metrics_url.as_deref(), &samples).await;
    let gateway = gateway_counts(&samples, last.as_ref(), args.metrics_url.is_some());
    if let Some(last) = last {
        samples.push(last);
    }
    let checks = consistency(&attempts, k6.as_ref(), &gateway, args.others_max as f64);
    let verdict = Verdict { classes, checks };
    let input = ReportInput {
        wave: args.wave.get(),
        final_states: finals,
        deadline: args.deadline,
        k6: k6.as_ref(),
        gateway: &gateway,
        verdict: &verdict,
        drain,
        e2e_p50_ms: percentile(&e2e, 50.0),
        e2e_p99_ms: percentile(&e2e, 99.0),
    };
    let title = format!(
        "{} run, wave {}",
        k6.as_ref()
            .and_then(|k| k.scenario.as_deref())
            .unwrap_or("load"),
        args.wave.get()
    );
    write_outputs(&args.out, &input, &render_chart(&title, &series(&samples)))?;
    let c = &verdict.classes;
    tracing::info!(
        lost = c.lost.len(),
        duplicated = c.duplicated.len(),
        unexpected = c.unexpected.len(),
        recovered = c.recovered.len(),
        indeterminate = c.indeterminate.len(),
        stuck = c.stuck.len(),
        figures_agree = all_agree(&verdict.checks),
        "audit finished"
    );
    Ok(verdict)
}

/// Reads the live providers until every final state's messages are there,
/// or the audit's deadline (from its start) passes; then judges.
async fn wait_for_notifications(
    records: &[(crate::classify::RecordFacts, bool)],
    live: &[LiveProvider],
    args: &AuditArgs,
) -> anyhow::Result<NotifiedVerdict> {
    let start = Instant::now();
    loop {
        let received = notified::read(live).await?;
        let verdict = notified::judge(records, live, &received);
        // Bounded by the audit's deadline, counted again from the drain.
        if verdict.missing.is_empty() || start.elapsed() >= args.deadline {
            return Ok(verdict);
        }
        tracing::info!(
            missing = verdict.missing.len(),
            "waiting for the providers to hold every final state's messages"
        );
        tokio::time::sleep(args.poll_interval.max(Duration::from_secs(1))).await;
    }
}

/// Ids each provider saw the same effect for twice, by provider name (the
/// files; providers read live are judged after the drain).
fn read_effects(args: &AuditArgs) -> anyhow::Result<BTreeMap<String, BTreeSet<String>>> {
    args.effects
        .iter()
        .filter(|e| e.live().is_none())
        .map(|e| {
            let text = std::fs::read_to_string(&e.path).with_context(|| {
                format!("reading effects of {} from {}", e.name, e.path.display())
            })?;
            let repeated =
                repeated_effects(&text).with_context(|| format!("parsing {}", e.path.display()))?;
            Ok((e.name.clone(), repeated))
        })
        .collect()
}

/// Polls until every accepted id is final and nothing stored is still on
/// its way, or the deadline passes. Returns the drain time when it completed.
async fn wait_for_drain(
    conn: &mut AsyncPgConnection,
    tables: Tables,
    args: &AuditArgs,
    accepted_ids: &std::collections::BTreeSet<String>,
) -> anyhow::Result<Option<Duration>> {
    let start = Instant::now();
    let mut last_log = start;
    let ids: Vec<String> = accepted_ids.iter().cloned().collect();
    let accepted = ids.len();
    loop {
        let p = db::progress(
            conn,
            tables,
            args.wave.get(),
            args.final_states.as_slice(),
            &ids,
        )
        .await
        .context("counting finished registrations")?;
        // Counted among the accepted ids only: a record stored after a 503
        // (its confirm came too late) once ended the wait while the last
        // accepted registration was still in the verifier's hands, and that
        // one was reported lost.
        if p.unfinished == 0 && usize::try_from(p.accepted_finished).unwrap_or(0) >= accepted {
            return Ok(Some(start.elapsed()));
        }
        if start.elapsed() >= args.deadline {
            tracing::warn!(
                finished = p.finished,
                unfinished = p.unfinished,
                accepted,
                "deadline passed before the pipeline drained"
            );
            return Ok(None);
        }
        if last_log.elapsed() >= PROGRESS_EVERY {
            tracing::info!(
                finished = p.finished,
                unfinished = p.unfinished,
                accepted,
                "waiting for the pipeline to drain"
            );
            last_log = Instant::now();
        }
        tokio::time::sleep(args.poll_interval).await;
    }
}

/// The gateway's counters now, as one more sample.
async fn final_reading(url: Option<&str>, samples: &[Sample]) -> Option<Sample> {
    let url = url?;
    let read = async {
        let client = reqwest::Client::builder()
            .timeout(METRICS_TIMEOUT)
            .build()
            .ok()?;
        client.get(url).send().await.ok()?.text().await.ok()
    };
    let Some(body) = read.await else {
        tracing::warn!("could not read the gateway's counters after the run");
        return None;
    };
    let unix_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let outcomes = parse_intake(&body)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    Some(Sample {
        unix_ms: i64::try_from(unix_ms).unwrap_or(i64::MAX),
        // Keep the chart's queue line: the last depth the sampler saw.
        queue: samples.last().and_then(|s| s.queue),
        outcomes,
    })
}

/// Growth of the gateway's counters from the first sample (taken before the
/// load) to the reading after the drain, unless a restart reset them.
fn gateway_counts(samples: &[Sample], last: Option<&Sample>, asked: bool) -> GatewayCounts {
    let readable: Vec<&Sample> = samples
        .iter()
        .chain(last)
        .filter(|s| !s.outcomes.is_empty())
        .collect();
    let (Some(first), Some(end)) = (readable.first(), last) else {
        let why = if asked {
            "no baseline sample or no reading after the run"
        } else {
            "no --metrics-url to read the counters after the run"
        };
        return GatewayCounts::Unavailable(why.to_owned());
    };
    let went_back = readable.windows(2).any(|w| {
        w[1].outcomes
            .iter()
            .any(|(k, v)| *v < w[0].outcomes.get(k).copied().unwrap_or(0.0))
    });
    if went_back {
        return GatewayCounts::Unavailable("the gateway restarted during the run".to_owned());
    }
    GatewayCounts::Growth(
        end.outcomes
            .iter()
            .map(|(k, v)| (k.clone(), v - first.outcomes.get(k).copied().unwrap_or(0.0)))
            .collect(),
    )
}

/// Submission to first final state, in milliseconds. Without history, a
/// record whose status is final counts its last update as that moment.
fn end_to_end_ms(row: &RecordRow, is_final: impl Fn(&str) -> bool) -> Option<f64> {
    let finished = row
        .final_at
        .or_else(|| row.updated_at.filter(|_| is_final(&row.status)))?;
    let elapsed = finished - row.submitted_at?;
    Some(elapsed.as_seconds_f64() * 1000.0)
}

fn read_k6(path: &Path) -> anyhow::Result<K6Summary> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading k6 summary {}", path.display()))?;
    let json =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(K6Summary::from_json(&json))
}

fn write_outputs(dir: &Path, input: &ReportInput<'_>, chart: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let v = &input.verdict.classes;
    let checks: Vec<_> = input
        .verdict
        .checks
        .iter()
        .map(|c| serde_json::json!({"name": c.name, "ok": c.ok, "detail": c.detail}))
        .collect();
    let duplicated_by_effect: BTreeMap<_, _> = v
        .duplicated_by_effect
        .iter()
        .map(|(k, ids)| (k.clone(), ids.len()))
        .collect();
    let json = serde_json::json!({
        "wave": input.wave,
        "clean": input.verdict.is_clean(),
        "accepted": v.accepted,
        "records": v.records,
        "lost": v.lost.len(),
        "duplicated": v.duplicated.len(),
        "duplicated_by_effect": duplicated_by_effect,
        "unexpected": v.unexpected.len(),
        "recovered": v.recovered.len(),
        "indeterminate": v.indeterminate.len(),
        "stuck": v.stuck.len(),
        "unnotified": v.unnotified.len(),
        "figures_agree": all_agree(&input.verdict.checks),
        "checks": checks,
        "by_state": v.by_state,
        "by_reason": v.by_reason,
        "drain_secs": input.drain.map(|d| d.as_secs_f64()),
        "e2e_p50_ms": input.e2e_p50_ms,
        "e2e_p99_ms": input.e2e_p99_ms,
    });
    for (name, body) in [
        ("report.md", render(input)),
        ("chart.svg", chart.to_owned()),
        ("audit.json", format!("{json:#}\n")),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
