//! The open-loop generator: sends each request at its scheduled instant, with
//! at most `max_inflight` requests outstanding. A request due while every slot
//! is taken is not sent and is counted as dropped: the generator never slows
//! down to match the server, which would hide overload.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use time::Date;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Instant;

use crate::clients::ClientMix;
use crate::schedule::Schedule;
use crate::tally::{Outcome, Sample, Tally};

/// Where and how to send.
#[derive(Clone)]
pub struct Target {
    pub client: reqwest::Client,
    /// The registrations endpoint.
    pub url: String,
    pub mix: ClientMix,
    pub max_inflight: usize,
    /// The submission date the bodies are valid for.
    pub today: Date,
}

/// One level: a rate, a duration and the first applicant index to use.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub rate: u64,
    pub duration: Duration,
    pub first_id: u64,
}

/// What one level produced.
#[derive(Debug)]
pub struct Run {
    pub scheduled: u64,
    pub dropped: u64,
    /// From the first scheduled instant to the last send.
    pub send_window: Duration,
    pub tally: Tally,
}

/// Runs one level to completion: every sent request answered or failed.
pub async fn run_level(target: &Target, plan: Plan) -> anyhow::Result<Run> {
    let schedule = Schedule::new(plan.rate, plan.duration);
    let slots = Arc::new(Semaphore::new(target.max_inflight));
    let (tx, mut rx) = mpsc::unbounded_channel::<Sample>();
    let collector = tokio::spawn(async move {
        let mut tally = Tally::default();
        while let Some(sample) = rx.recv().await {
            tally.add(sample);
        }
        tally
    });

    let start = Instant::now();
    let mut next = 0u64;
    let mut dropped = 0u64;
    while next < schedule.total() {
        // Everything due by now leaves now: a late wake-up sends a small
        // batch, each request still timed from its own scheduled instant.
        let due = schedule.due_by(start.elapsed());
        while next < due {
            let scheduled = start + schedule.due_at(next);
            match slots.clone().try_acquire_owned() {
                Ok(slot) => {
                    let id = plan.first_id + next;
                    tokio::spawn(send_one(target.clone(), id, scheduled, tx.clone(), slot));
                }
                Err(_) => dropped += 1,
            }
            next += 1;
        }
        if next < schedule.total() {
            tokio::time::sleep_until(start + schedule.due_at(next)).await;
        }
    }
    let send_window = start.elapsed();
    drop(tx);
    let tally = collector.await?;
    Ok(Run {
        scheduled: schedule.total(),
        dropped,
        send_window,
        tally,
    })
}

#[derive(Deserialize)]
struct ProblemType {
    #[serde(rename = "type")]
    kind: String,
}

async fn send_one(
    target: Target,
    id: u64,
    scheduled: Instant,
    results: mpsc::UnboundedSender<Sample>,
    _slot: OwnedSemaphorePermit,
) {
    let request = lonjak_domain::testing::sample_request(id, target.today);
    let body = serde_json::to_vec(&request).unwrap_or_default();
    let mut builder = target
        .client
        .post(&target.url)
        .header(CONTENT_TYPE, "application/json")
        .body(body);
    if let Some(addr) = target.mix.address(id) {
        builder = builder.header("x-forwarded-for", addr.to_string());
    }
    let sent = Instant::now();
    let outcome = match builder.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            match response.bytes().await {
                Ok(bytes) if status >= 400 => Outcome::Answered {
                    status,
                    problem: serde_json::from_slice::<ProblemType>(&bytes)
                        .ok()
                        .map(|p| p.kind),
                },
                Ok(_) => Outcome::Answered {
                    status,
                    problem: None,
                },
                Err(e) => Outcome::Failed(failure_kind(&e)),
            }
        }
        Err(e) => Outcome::Failed(failure_kind(&e)),
    };
    let done = Instant::now();
    // The collector outlives every sender; a closed channel means shutdown.
    let _ = results.send(Sample {
        lag: sent - scheduled,
        latency: done - scheduled,
        service: done - sent,
        outcome,
    });
}

fn failure_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    }
}
