//! The audit end to end: wait for the drain, classify, write the report.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use diesel_async::AsyncPgConnection;

use crate::accepted::parse_accepted;
use crate::args::AuditArgs;
use crate::classify::{Classification, classify};
use crate::db::{self, RecordRow, Tables};
use crate::k6::K6Summary;
use crate::percentile::percentile;
use crate::report::{ReportInput, render};
use crate::samples::{outcome_totals, parse_samples, series};
use crate::svg::render_chart;

/// How often progress is logged while waiting.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// Runs the audit and writes `report.md`, `chart.svg` and `audit.json` into
/// `args.out`. Returns the verdict; the caller decides the exit code.
pub async fn run(args: &AuditArgs) -> anyhow::Result<Classification> {
    let text = std::fs::read_to_string(&args.accepted)
        .with_context(|| format!("reading accepted ids from {}", args.accepted.display()))?;
    let accepted = parse_accepted(&text);
    tracing::info!(
        accepted = accepted.len(),
        wave = args.wave.get(),
        "auditing run"
    );

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
    let drain = wait_for_drain(&mut conn, tables, args, accepted.len()).await?;

    let rows = db::load_records(&mut conn, tables, args.wave.get(), finals)
        .await
        .context("loading the wave's registrations")?;
    let facts: Vec<_> = rows.iter().map(RecordRow::facts).collect();
    let verdict = classify(&accepted, &facts, |s| args.final_states.contains(s));
    let e2e: Vec<f64> = rows
        .iter()
        .filter(|r| accepted.contains(&r.id))
        .filter_map(|r| end_to_end_ms(r, |s| args.final_states.contains(s)))
        .collect();

    let k6 = match &args.k6_summary {
        Some(path) => Some(read_k6(path)?),
        None => None,
    };
    let samples = match &args.samples {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading samples from {}", path.display()))?;
            parse_samples(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => Vec::new(),
    };
    let outcomes: BTreeMap<String, f64> = outcome_totals(&samples);
    let input = ReportInput {
        wave: args.wave.get(),
        final_states: finals,
        deadline: args.deadline,
        k6: k6.as_ref(),
        gateway_outcomes: &outcomes,
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
    tracing::info!(
        lost = verdict.lost.len(),
        duplicated = verdict.duplicated.len(),
        unexpected = verdict.unexpected.len(),
        "audit finished"
    );
    Ok(verdict)
}

/// Polls the count of finished registrations until it covers every accepted
/// id or the deadline passes. Returns the drain time when it completed.
async fn wait_for_drain(
    conn: &mut AsyncPgConnection,
    tables: Tables,
    args: &AuditArgs,
    accepted: usize,
) -> anyhow::Result<Option<Duration>> {
    let start = Instant::now();
    let mut last_log = start;
    loop {
        let done = db::count_finished(conn, tables, args.wave.get(), args.final_states.as_slice())
            .await
            .context("counting finished registrations")?;
        // Unexpected records could make the count reach the target early; the
        // full classification afterwards catches that case as a failure.
        if usize::try_from(done).unwrap_or(0) >= accepted {
            return Ok(Some(start.elapsed()));
        }
        if start.elapsed() >= args.deadline {
            tracing::warn!(
                done,
                accepted,
                "deadline passed before the pipeline drained"
            );
            return Ok(None);
        }
        if last_log.elapsed() >= PROGRESS_EVERY {
            tracing::info!(done, accepted, "waiting for the pipeline to drain");
            last_log = Instant::now();
        }
        tokio::time::sleep(args.poll_interval).await;
    }
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
    let v = input.verdict;
    let json = serde_json::json!({
        "wave": input.wave,
        "accepted": v.accepted,
        "records": v.records,
        "lost": v.lost.len(),
        "duplicated": v.duplicated.len(),
        "unexpected": v.unexpected.len(),
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
