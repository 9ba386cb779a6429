//! What sealing costs the gateway and opening costs the verifier, per
//! registration, in µs of CPU of the measuring thread (from
//! `/proc/thread-self/schedstat`, so time the thread spent descheduled on a
//! shared machine does not count). Also the clear form the gateway
//! serialised before sealing, for the difference, and both payloads' sizes.
//!
//!   cargo run --release -p lonjak-seal --example seal_cost [N]

use lonjak_domain::testing::{SAMPLE_TODAY, identity_key, sample_registration};
use lonjak_domain::{Registration, RegistrationId};
use lonjak_seal::{OpeningKeys, SealPrivateKey, SealPublicKey, open_submitted, seal_submitted};
use time::OffsetDateTime;

/// CPU time this thread has run, in ns.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn per_op_us(n: usize, mut op: impl FnMut(usize)) -> f64 {
    for i in 0..n.min(1_000) {
        op(i);
    }
    let start = thread_cpu_ns();
    for i in 0..n {
        op(i);
    }
    (thread_cpu_ns() - start) as f64 / n as f64 / 1_000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(20_000), |a| a.parse())?;
    let key = SealPrivateKey::generate();
    let ring = OpeningKeys::new(vec![key.clone()]);
    let at = OffsetDateTime::now_utc();
    let regs: Vec<(RegistrationId, Registration)> = (0..256)
        .map(|i| {
            let reg = sample_registration(i, SAMPLE_TODAY);
            (
                RegistrationId::derive(&identity_key(), reg.nik(), reg.wave()),
                reg,
            )
        })
        .collect();
    let sealed: Vec<_> = regs
        .iter()
        .map(|(id, reg)| seal_submitted(key.public(), *id, reg, at))
        .collect::<Result<_, _>>()?;

    let mut sink = 0usize;
    let clear_us = per_op_us(n, |i| {
        let (_, reg) = &regs[i % regs.len()];
        let json = serde_json::to_vec(&reg.to_request()).unwrap_or_default();
        sink += json.len();
    });
    let seal_us = per_op_us(n, |i| {
        let (id, reg) = &regs[i % regs.len()];
        let event = seal_submitted(key.public(), *id, reg, at);
        sink += event.map_or(0, |e| e.applicant.ct.len());
    });
    let seal_json_us = per_op_us(n, |i| {
        let (id, reg) = &regs[i % regs.len()];
        let event = seal_submitted(key.public(), *id, reg, at).map(|e| serde_json::to_vec(&e));
        sink += event.map_or(0, |e| e.map_or(0, |j| j.len()));
    });
    let open_us = per_op_us(n, |i| {
        let event = &sealed[i % sealed.len()];
        let opened = open_submitted(&ring, event)
            .ok()
            .and_then(|r| Registration::parse_submitted(&r, event.wave).ok());
        sink += usize::from(opened.is_some());
    });

    // The first registration of a window: a new encapsulation (a fresh
    // copy of the public key has no context yet), and on the worker the
    // first message of a context (a fresh ring has none opened).
    let public_text = key.public().to_base64();
    let seal_new_window_us = per_op_us(n / 10, |i| {
        let (id, reg) = &regs[i % regs.len()];
        let fresh = SealPublicKey::from_base64(&public_text).ok();
        let event = fresh.and_then(|k| seal_submitted(&k, *id, reg, at).ok());
        sink += event.map_or(0, |e| e.applicant.ct.len());
    });
    let open_new_context_us = per_op_us(n / 10, |i| {
        let event = &sealed[i % sealed.len()];
        let fresh = OpeningKeys::new(vec![key.clone()]);
        sink += usize::from(open_submitted(&fresh, event).is_ok());
    });
    // The key agreement alone: what each side cannot avoid per message.
    let point = x25519_dalek::X25519_BASEPOINT_BYTES;
    let dh_us = per_op_us(n, |i| {
        let mut scalar = [7u8; 32];
        scalar[0] = i as u8;
        sink += usize::from(x25519_dalek::x25519(scalar, point)[0]);
    });
    let clear_len = serde_json::to_vec(&regs[0].1.to_request())?.len();
    let sealed_len = serde_json::to_vec(&sealed[0].applicant)?.len();
    println!("operations per measurement: {n} (thread CPU time, /proc/thread-self/schedstat)");
    println!("gateway, clear applicant to JSON (before):   {clear_us:7.2} µs");
    println!("gateway, seal_submitted (within a window):   {seal_us:7.2} µs");
    println!("gateway, the first of a window (encapsulate):{seal_new_window_us:7.2} µs");
    println!("gateway, seal_submitted + event to JSON:     {seal_json_us:7.2} µs");
    println!("verifier, open_submitted + parse:            {open_us:7.2} µs");
    println!("verifier, the first of a context (no parse): {open_new_context_us:7.2} µs");
    println!("of which one X25519 scalar multiplication:   {dh_us:7.2} µs");
    println!("applicant in the message: clear {clear_len} bytes, sealed {sealed_len} bytes");
    std::hint::black_box(sink);
    Ok(())
}
