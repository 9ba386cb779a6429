//! The commands acting on the database (and broker) directly
//! (`--direct-database`): bootstrapping before the admin API runs, and the
//! selection benchmark. The same store calls the admin API makes.

use std::time::Duration;

use anyhow::Context;
use lonjak_domain::{RegistrationId, Wave, WaveState};
use lonjak_ops::{announce, report};
use lonjak_store::{NewWave, Rejoin, SelectionOutcome, Store, StoreConfig};

use crate::{Cli, WaveCommand, connect, parse_time, wave_number};

/// Selection and announcement can take minutes on millions of applicants;
/// the services' 10 s query bound is for request paths.
pub(crate) const OPS_QUERY_TIMEOUT: Duration = Duration::from_secs(900);

async fn store(cli: &Cli) -> anyhow::Result<Store> {
    let mut config = StoreConfig::without_personal_data(cli.database_url.clone());
    config.query_timeout = OPS_QUERY_TIMEOUT;
    config.max_connections = 2;
    Store::connect(config)
        .await
        .context("connecting to the database")
}

pub(crate) async fn wave_command(cli: &Cli, command: &WaveCommand) -> anyhow::Result<()> {
    let store = store(cli).await?;
    let moved = match command {
        WaveCommand::Create {
            wave,
            quota,
            opens_at,
            closes_at,
            email_verification_required,
            photos_required,
        } => {
            let new = NewWave {
                number: wave_number(*wave)?,
                quota: *quota,
                opens_at: parse_time(opens_at.as_deref(), "--opens-at")?,
                closes_at: parse_time(closes_at.as_deref(), "--closes-at")?,
                email_verification_required: *email_verification_required,
                photos_required: *photos_required,
            };
            store.create_wave(&new).await?
        }
        WaveCommand::Open { wave } => {
            store
                .move_wave(wave_number(*wave)?, WaveState::Open)
                .await?
        }
        WaveCommand::Close { wave } => {
            store
                .move_wave(wave_number(*wave)?, WaveState::Closed)
                .await?
        }
        WaveCommand::List => {
            print!("{}", report::waves(&store.waves().await?));
            return Ok(());
        }
    };
    println!("wave {} is {}", moved.number, moved.state);
    Ok(())
}

pub(crate) async fn select(cli: &Cli, wave: Wave, work_mem: &str, page: u32) -> anyhow::Result<()> {
    let store = store(cli).await?;
    let started = std::time::Instant::now();
    let counts = match store.select_wave(wave, Some(work_mem)).await? {
        SelectionOutcome::Decided(counts) => {
            println!(
                "wave {wave} selected in {:.1} s: {} selected, {} waitlisted, {} rejected (KK cap)",
                started.elapsed().as_secs_f64(),
                counts.selected,
                counts.waitlisted,
                counts.rejected
            );
            counts
        }
        SelectionOutcome::AlreadyDecided(counts) => {
            println!(
                "wave {wave} was selected before: {} selected, {} waitlisted, {} rejected (KK cap); resuming its announcement",
                counts.selected, counts.waitlisted, counts.rejected
            );
            counts
        }
    };
    let bus = connect(cli).await?;
    let announced = announce::announce(&store, &bus, wave, page, None).await;
    bus.close().await;
    let announced = announced?;
    println!(
        "{} decision(s) announced in this run ({} event(s)), {} in all; wave {wave} {} ({:.1} s in all)",
        announced.published,
        announced.events,
        counts.selected + counts.waitlisted + counts.rejected,
        if announced.finished {
            "announced"
        } else {
            "not fully announced yet"
        },
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `lonjak_intake_requests_total{outcome="accepted"}` from the gateway's
/// metrics, if it answers.
pub(crate) async fn gateway_accepted(url: &str) -> Option<u64> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .ok()?;
    let body = client.get(url).send().await.ok()?.text().await.ok()?;
    accepted_in(&body)
}

pub(crate) fn accepted_in(metrics: &str) -> Option<u64> {
    metrics
        .lines()
        .filter(|l| {
            l.starts_with("lonjak_intake_requests_total{") && l.contains("outcome=\"accepted\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .reduce(|a, b| a + b)
}

pub(crate) async fn explain(cli: &Cli, id: &RegistrationId) -> anyhow::Result<()> {
    let store = store(cli).await?;
    match store
        .explain(id)
        .await
        .context("reading the registration")?
    {
        Some(explanation) => print!("{}", report::explanation(&explanation)),
        None => anyhow::bail!("no registration {id}"),
    }
    Ok(())
}

pub(crate) async fn funnel(cli: &Cli, wave: Wave, gateway_metrics: &str) -> anyhow::Result<()> {
    let store = store(cli).await?;
    let funnel = store.funnel(wave).await.context("counting")?;
    let accepted = gateway_accepted(gateway_metrics).await;
    print!("{}", report::funnel(wave.get(), &funnel, accepted));
    Ok(())
}

pub(crate) async fn rejoin(cli: &Cli, id: &RegistrationId) -> anyhow::Result<()> {
    let store = store(cli).await?;
    match store.rejoin_next_wave(id).await.context("re-joining")? {
        Rejoin::Rejoined { from, to } => println!("{id} moved from wave {from} to wave {to}"),
        other => anyhow::bail!("{id} cannot re-join: {other:?}"),
    }
    Ok(())
}
