//! Moves each waiting-room wave's queue once per `waitroom.tick_ms`. Every
//! replica runs this loop; the store lets one of them tick per period, so
//! the queue moves at one pace however many replicas there are.

use std::sync::Arc;

use lonjak_domain::Wave;
use lonjak_store::{StoreError, TickClaim};
use tokio_util::sync::CancellationToken;

use super::{PacingInput, PacingLimits, WaitRoom, pace};
use crate::broker::QueueGauge;

pub fn run_ticker(room: Arc<WaitRoom>, queue: QueueGauge, shutdown: CancellationToken) {
    let Some(store) = room.store.clone() else {
        return;
    };
    let waves: Vec<Wave> = room
        .settings
        .waves
        .iter()
        .filter_map(|w| Wave::new(*w).ok())
        .collect();
    if waves.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(room.settings.tick());
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ensured = vec![false; waves.len()];
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            let Ok(store) = store.get().await else {
                continue;
            };
            for (i, wave) in waves.iter().enumerate() {
                if !ensured[i] {
                    match store.waitroom_ensure_wave(*wave, None).await {
                        Ok(()) => ensured[i] = true,
                        Err(error) => {
                            warn(&error, "waiting room set-up failed");
                            continue;
                        }
                    }
                }
                if let Err(error) = tick(&room, store, &queue, *wave).await {
                    warn(&error, "waiting room tick failed");
                }
            }
        }
    });
}

async fn tick(
    room: &WaitRoom,
    store: &lonjak_store::Store,
    queue: &QueueGauge,
    wave: Wave,
) -> Result<(), StoreError> {
    let permit = room.settings.permit();
    store.waitroom_draw(wave).await?;
    let Some(claim) = store
        .waitroom_claim_tick(wave, room.settings.tick(), permit)
        .await?
    else {
        return Ok(());
    };
    let sample = queue.sample();
    let pacing = pace(input(&claim, sample), limits(room));
    let result = match store
        .waitroom_advance(
            wave,
            &claim,
            pacing.count,
            pacing.per_sec,
            pacing.credit,
            permit,
        )
        .await
    {
        // Another replica ticked in between: its tick stands.
        Err(StoreError::Conflict) => return Ok(()),
        other => other?,
    };
    for (announced, actual) in &result.estimates {
        room.metrics.estimate(*announced, *actual);
    }
    room.metrics.ticked(
        wave.get(),
        claim.issued - result.admitted_upto,
        pacing.per_sec,
        result.admitted,
        result.expired,
    );
    Ok(())
}

fn input(claim: &TickClaim, sample: crate::broker::QueueSample) -> PacingInput {
    PacingInput {
        drain_per_sec: sample.drain_rate(),
        backlog: f64::from(sample.depth),
        previous_per_sec: claim.admit_per_sec,
        outstanding: claim.outstanding as f64,
        elapsed_secs: claim.elapsed_secs,
        credit: claim.admit_credit,
    }
}

fn limits(room: &WaitRoom) -> PacingLimits {
    PacingLimits {
        target_backlog_secs: room.settings.target_backlog_secs,
        min_per_sec: room.settings.min_admit_per_sec,
        max_per_sec: room.max_admit_per_sec,
        permit_secs: room.settings.permit_secs as f64,
    }
}

fn warn(error: &StoreError, what: &'static str) {
    tracing::warn!(error = %crate::problem::chain(error), "{what}");
}
