//! `lonjak-crowd`: an opening-day crowd through the waiting room, one tokio
//! task per person instead of one k6 VU, so tens of thousands of people
//! fit on this machine. CROWD people arrive evenly over JOIN_SECS; each
//! joins the wave's queue from an address of their own (`X-Forwarded-For`),
//! checks the ticket when told (`poll_after_seconds`), registers FORM_SECS
//! after admission (resubmitting after `Retry-After` on 429/503, like the
//! page), and keeps the receipt. Nobody waits past MAX_SECS from the start.
//! With DIRECT=1 there is no waiting room: each person fills the form for
//! FORM_SECS, submits, and on any refusal waits `Retry-After` and submits
//! again (like a patient person; a bot would not wait).
//!
//! Environment [defaults]: BASE_URL [http://127.0.0.1:8080], WAVE [1],
//! CROWD [10000], JOIN_SECS [60], FORM_SECS [5], MAX_SECS [240],
//! DIRECT [0], IN_FLIGHT [256] (requests open at once; beyond it requests
//! wait for a slot: those held over 1 s are reported as `held_requests`, a
//! client saturated, not a slow server; people who arrive over 1 s late as
//! `late_starts`), RECEIPTS_OUT [unset] (a file for each direct 202's
//! `id,epoch_ms,estimated_wait_seconds`). Writes a k6-like summary (`metrics.<name>.count`,
//! `p(50)`…) to the file given as the first argument, for
//! loadtest/waitroom.sh's report.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tokio::sync::{Mutex, Semaphore};

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    refusals: AtomicU64,
    submits: AtomicU64,
    submit_refusals: AtomicU64,
    gave_up: AtomicU64,
    late_starts: AtomicU64,
    /// Requests that waited over 1 s for an in-flight slot.
    held_requests: AtomicU64,
    checks: AtomicU64,
    to_receipt_ms: Mutex<Vec<u64>>,
    /// `id,epoch_ms,estimated_wait_seconds` of each direct 202, for
    /// loadtest/wait-accuracy.sh (RECEIPTS_OUT).
    receipts: Mutex<Vec<String>>,
    /// Requests sent in each second of the run: the peak load offered.
    per_second: Vec<AtomicU64>,
}

struct Crowd {
    client: Client,
    base: String,
    wave: u32,
    form: Duration,
    start: Instant,
    deadline: Instant,
    direct: bool,
    in_flight: Semaphore,
    tally: Tally,
}

struct Answer {
    status: StatusCode,
    body: Value,
    retry_after: u64,
}

impl Crowd {
    async fn call(&self, req: reqwest::RequestBuilder) -> Option<Answer> {
        let asked = Instant::now();
        let _slot = self.in_flight.acquire().await.ok()?;
        if asked.elapsed() > Duration::from_secs(1) {
            self.tally.held_requests.fetch_add(1, Relaxed);
        }
        self.tally.requests.fetch_add(1, Relaxed);
        let second = self.start.elapsed().as_secs() as usize;
        if let Some(n) = self.tally.per_second.get(second) {
            n.fetch_add(1, Relaxed);
        }
        let res = req.timeout(Duration::from_secs(30)).send().await.ok()?;
        let status = res.status();
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            self.tally.refusals.fetch_add(1, Relaxed);
        }
        let retry_after = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let body = res.json().await.unwrap_or(Value::Null);
        Some(Answer {
            status,
            body,
            retry_after,
        })
    }

    async fn keep_receipt(&self, body: &Value) {
        let (Some(id), Some(wait)) = (
            body["registration_id"].as_str(),
            body["estimated_wait_seconds"].as_u64(),
        ) else {
            return;
        };
        let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        self.tally
            .receipts
            .lock()
            .await
            .push(format!("{id},{now_ms},{wait}\n"));
    }

    async fn pause(&self, secs: u64) -> bool {
        let until = Instant::now() + Duration::from_secs(secs.max(1));
        if until >= self.deadline {
            return false;
        }
        tokio::time::sleep_until(until.into()).await;
        true
    }

    /// One person without a waiting room: form, submit, retry when told.
    async fn direct(&self, who: &str, body: Value, started: Instant) -> bool {
        if !self.pause(self.form.as_secs()).await {
            return false;
        }
        let url = format!("{}/v1/registrations", self.base);
        loop {
            let req = self
                .client
                .post(&url)
                .header("x-forwarded-for", who)
                .json(&body);
            let retry = match self.call(req).await {
                Some(a) if a.status == StatusCode::ACCEPTED => {
                    let ms = started.elapsed().as_millis() as u64;
                    self.tally.to_receipt_ms.lock().await.push(ms);
                    self.keep_receipt(&a.body).await;
                    return true;
                }
                Some(a) => a.retry_after,
                None => 1,
            };
            if !self.pause(retry).await {
                return false;
            }
        }
    }

    /// One person, from joining to the receipt. `false`: gave up.
    async fn person(&self, i: u64, body: Value) -> bool {
        let started = Instant::now();
        let who = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        if self.direct {
            return self.direct(&who, body, started).await;
        }
        let queue = format!("{}/v1/waves/{}/queue", self.base, self.wave);
        let join = || self.client.post(&queue).header("x-forwarded-for", &who);
        let mut answer = self.call(join()).await;
        while let Some(a) = &answer {
            if !matches!(a.status.as_u16(), 409 | 429 | 503) || !self.pause(a.retry_after).await {
                break;
            }
            answer = self.call(join()).await;
        }
        let Some(Answer {
            status,
            body: mut state,
            ..
        }) = answer
        else {
            return false;
        };
        if !status.is_success() {
            return false;
        }
        let Some(ticket) = state["ticket"].as_str().map(str::to_owned) else {
            return false;
        };
        let check = format!("{queue}/{ticket}");
        while state["state"] != "admitted" {
            if state["state"] == "expired" || state["state"] == "used" {
                return false;
            }
            if !self
                .pause(state["poll_after_seconds"].as_u64().unwrap_or(1))
                .await
            {
                return false;
            }
            self.tally.checks.fetch_add(1, Relaxed);
            let req = self.client.get(&check).header("x-forwarded-for", &who);
            if let Some(a) = self.call(req).await
                && a.status == StatusCode::OK
            {
                state = a.body;
            }
        }
        if !self.pause(self.form.as_secs()).await {
            return false;
        }
        self.tally.submits.fetch_add(1, Relaxed);
        let url = format!("{}/v1/registrations", self.base);
        for _ in 0..20 {
            let req = self
                .client
                .post(&url)
                .header("x-forwarded-for", &who)
                .header("waitroom-ticket", &ticket)
                .json(&body);
            let Some(a) = self.call(req).await else {
                return false;
            };
            if a.status == StatusCode::ACCEPTED {
                let ms = started.elapsed().as_millis() as u64;
                self.tally.to_receipt_ms.lock().await.push(ms);
                return true;
            }
            if !matches!(a.status.as_u16(), 429 | 503) {
                return false;
            }
            self.tally.submit_refusals.fetch_add(1, Relaxed);
            if !self.pause(a.retry_after).await {
                return false;
            }
        }
        false
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .context("usage: lonjak-crowd SUMMARY.json")?;
    let crowd_size: u64 = env("CROWD", 10_000);
    let join_secs: f64 = env("JOIN_SECS", 60.0);
    let max_secs: u64 = env("MAX_SECS", 240);
    let wave: u32 = env("WAVE", 1);
    let start = Instant::now();
    let crowd = Arc::new(Crowd {
        client: Client::builder()
            .pool_max_idle_per_host(1024)
            .build()
            .context("building the HTTP client")?,
        base: env("BASE_URL", "http://127.0.0.1:8080".to_owned()),
        wave,
        form: Duration::from_secs(env("FORM_SECS", 5)),
        start,
        deadline: start + Duration::from_secs(max_secs),
        direct: env("DIRECT", 0) == 1,
        in_flight: Semaphore::new(env("IN_FLIGHT", 256)),
        tally: Tally {
            per_second: (0..=max_secs).map(|_| AtomicU64::new(0)).collect(),
            ..Tally::default()
        },
    });
    let today = time::OffsetDateTime::now_utc().date();
    let seed = u64::from(wave) * 1_000_000;
    let mut people = tokio::task::JoinSet::new();
    for i in 0..crowd_size {
        let at = start + Duration::from_secs_f64(join_secs * i as f64 / crowd_size as f64);
        tokio::time::sleep_until(at.into()).await;
        if at.elapsed() > Duration::from_secs(1) {
            crowd.tally.late_starts.fetch_add(1, Relaxed);
        }
        let mut body =
            serde_json::to_value(lonjak_domain::testing::sample_request(seed + i, today))
                .context("an applicant")?;
        body["wave"] = wave.into();
        let crowd = crowd.clone();
        people.spawn(async move {
            if !crowd.person(i + 1, body).await {
                crowd.tally.gave_up.fetch_add(1, Relaxed);
            }
        });
    }
    while people.join_next().await.is_some() {}

    let t = &crowd.tally;
    let mut ms = t.to_receipt_ms.lock().await.clone();
    ms.sort_unstable();
    let count = |n: &AtomicU64| json!({ "count": n.load(Relaxed) });
    let peak = t.per_second.iter().map(|n| n.load(Relaxed)).max();
    let summary = json!({ "metrics": {
        "receipts": { "count": ms.len() },
        "gave_up": count(&t.gave_up),
        "person_requests": count(&t.requests),
        "refusals_429_503": count(&t.refusals),
        "admitted_submits": count(&t.submits),
        "admitted_submit_refusals": count(&t.submit_refusals),
        "ticket_checks": count(&t.checks),
        "late_starts": count(&t.late_starts),
        "held_requests": count(&t.held_requests),
        "peak_requests_per_sec": { "count": peak.unwrap_or(0) },
        "join_to_receipt_ms": {
            "p(50)": percentile(&ms, 0.5),
            "p(95)": percentile(&ms, 0.95),
            "p(99)": percentile(&ms, 0.99),
            "max": ms.last().copied().unwrap_or(0),
            "count": ms.len(),
        },
    }});
    std::fs::write(&out, serde_json::to_string_pretty(&summary)?)
        .with_context(|| format!("writing {out}"))?;
    if let Ok(path) = std::env::var("RECEIPTS_OUT") {
        let lines = t.receipts.lock().await.concat();
        std::fs::write(&path, lines).with_context(|| format!("writing {path}"))?;
    }
    println!("{summary}");
    Ok(())
}
