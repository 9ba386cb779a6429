//! The support desk's look-up answer as `lonjak-ops support lookup` prints
//! it: plain words, masked as the API masked it, each notification with the
//! flags that re-send it.

use std::fmt::Write;

use crate::support_wire::SupportLookupBody;

/// The answer in plain words, masked as the API masked it.
pub fn render(answer: &SupportLookupBody) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} registration(s) by {}{}",
        answer.registrations.len(),
        answer.lookup_kind,
        if answer.masked { ", masked" } else { "" }
    );
    for r in &answer.registrations {
        let _ = writeln!(
            out,
            "\n{}  wave {} ({})",
            r.registration_id, r.wave, r.wave_state
        );
        let _ = writeln!(
            out,
            "  {}{}",
            r.status_words,
            r.reason_words
                .as_deref()
                .map(|w| format!(": {w}"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "  submitted {}; email verified: {}",
            r.submitted_at,
            if r.email_verified { "yes" } else { "no" }
        );
        if let Some(p) = &r.personal {
            let _ = writeln!(
                out,
                "  {} | {} | {} | born {} | NIK {} | KK {}",
                p.full_name, p.email, p.phone, p.birth_date, p.nik, p.kk_number
            );
        }
        for h in &r.history {
            let _ = writeln!(out, "  history  {}  {}", h.at, h.words);
        }
        for v in &r.verifications {
            let _ = writeln!(
                out,
                "  registry {}: {} ({})",
                v.registry, v.words, v.checked_at
            );
        }
        for n in &r.notifications {
            let _ = writeln!(
                out,
                "  notice   --event {} --channel {}: {} ({} attempt(s))",
                n.event, n.channel, n.words, n.attempts
            );
        }
        for p in &r.photos {
            let _ = writeln!(out, "  photo    {}: {}", p.kind, p.state);
        }
        if let Some(rejoin) = &r.rejoin {
            let _ = writeln!(out, "  re-join  {}", rejoin.words);
        }
    }
    out
}
