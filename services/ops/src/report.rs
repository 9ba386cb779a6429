//! What the read-only commands print: an applicant's explanation, a wave's
//! funnel, the list of waves. Nothing printed is personal data.

use std::fmt::Write as _;

use lonjak_store::{Explanation, Funnel, WaveRecord};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn at(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// `lonjak-ops explain <id>`.
pub fn explanation(e: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "registration {}", e.id);
    let _ = writeln!(out, "wave          {}", e.wave);
    match e.reason {
        Some(reason) => {
            let _ = writeln!(out, "status        {} ({reason})", e.status);
        }
        None => {
            let _ = writeln!(out, "status        {}", e.status);
        }
    }
    let _ = writeln!(out, "submitted at  {}", at(e.submitted_at));
    if let Some(rank) = e.rank {
        let _ = writeln!(out, "rank          {rank}");
    }
    if let Some(decided) = e.decided_at {
        let _ = writeln!(out, "decided at    {}", at(decided));
    }
    if let Some(from) = e.rejoined_from {
        let _ = writeln!(out, "re-joined     from wave {from}");
    }
    match &e.score {
        Some(score) => {
            let _ = writeln!(out, "score         {}", score.total);
            for part in &score.parts {
                let _ = writeln!(out, "  {:+5}  {}", part.points, part.rule);
            }
        }
        None => {
            let _ = writeln!(out, "score         (not scored)");
        }
    }
    out
}

/// `lonjak-ops funnel --wave N`.
pub fn funnel(wave: u32, funnel: &Funnel, accepted: Option<u64>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "wave {wave}");
    match accepted {
        Some(n) => {
            let _ = writeln!(
                out,
                "{:<12} {n:>10}  (gateway, since its start, all waves)",
                "accepted"
            );
        }
        None => {
            let _ = writeln!(
                out,
                "{:<12} {:>10}  (gateway not reachable)",
                "accepted", "-"
            );
        }
    }
    let _ = writeln!(out, "{:<12} {:>10} {:>10}", "state", "reached", "now");
    let received: u64 = funnel.now.iter().map(|(_, n)| n).sum();
    let _ = writeln!(out, "{:<12} {received:>10}", "received");
    for (status, reached) in &funnel.reached {
        let now = funnel
            .now
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(out, "{:<12} {reached:>10} {now:>10}", status.as_str());
    }
    for (reason, n) in &funnel.rejected {
        let _ = writeln!(out, "  rejected: {:<22} {n:>8}", reason.as_str());
    }
    out
}

fn yes_no(required: bool) -> &'static str {
    if required { "yes" } else { "no" }
}

/// `lonjak-ops wave list`.
pub fn waves(waves: &[WaveRecord]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>5} {:<10} {:>9} {:<26} {:<26} {:>6} {:>6} {:>10}",
        "wave", "state", "quota", "opens", "closes", "email", "photos", "announced"
    );
    for w in waves {
        let _ = writeln!(
            out,
            "{:>5} {:<10} {:>9} {:<26} {:<26} {:>6} {:>6} {:>10}",
            w.number.get(),
            w.state.as_str(),
            w.quota,
            at(w.opens_at),
            w.closes_at.map_or_else(|| "-".to_owned(), at),
            yes_no(w.email_verification_required),
            yes_no(w.photos_required),
            w.announced_rank
        );
    }
    out
}
