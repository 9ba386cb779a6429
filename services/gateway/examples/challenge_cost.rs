//! What the proof-of-work challenge costs: a client solving it (one core,
//! native SHA-256, the way a determined bot would) and the server verifying
//! it. Figures in docs/benchmarks.md.
//!
//! `cargo run --release -p lonjak-gateway --example challenge_cost [SOLVES]`

use std::time::{Duration, Instant};

use lonjak_domain::Wave;
use lonjak_gateway::waitroom::challenge::{Answer, ChallengeError, solve};
use lonjak_gateway::waitroom::{ProofOfWork, TicketKey};
use time::OffsetDateTime;

fn main() -> Result<(), ChallengeError> {
    let solves: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let key = TicketKey::new([7; 32]);
    let wave = Wave::new(1).map_err(|_| ChallengeError::Invalid)?;
    let client = key.client_hash(wave, "ip:198.51.100.1");
    println!("| difficulty (bits) | mean hashes | mean solve | p90 solve | hashes/s |");
    println!("|---:|---:|---:|---:|---:|");
    for bits in [8u8, 12, 16, 18, 20, 22] {
        let pow = ProofOfWork::new(key.clone(), bits, Duration::from_secs(300));
        let mut times = Vec::new();
        let mut hashes = 0u64;
        for _ in 0..solves {
            let c = pow.issue_at(wave, &client, OffsetDateTime::now_utc());
            let start = Instant::now();
            let (_, tried) = solve(&c.challenge, bits);
            times.push(start.elapsed());
            hashes += tried;
        }
        times.sort();
        let total: Duration = times.iter().sum();
        println!(
            "| {bits} | {:.0} | {:.1} ms | {:.1} ms | {:.2} M |",
            hashes as f64 / f64::from(solves),
            total.as_secs_f64() * 1e3 / f64::from(solves),
            times[times.len() * 9 / 10].as_secs_f64() * 1e3,
            hashes as f64 / total.as_secs_f64() / 1e6,
        );
    }

    // Verifying: one HMAC and one SHA-256, whatever the difficulty.
    let pow = ProofOfWork::new(key.clone(), 16, Duration::from_secs(300));
    let c = pow.issue_at(wave, &client, OffsetDateTime::now_utc());
    let (nonce, _) = solve(&c.challenge, 16);
    let good = Answer {
        challenge: &c.challenge,
        solution: &nonce,
    };
    let bad = Answer {
        challenge: &c.challenge,
        solution: "1",
    };
    let rounds = 200_000u32;
    for (name, answer) in [("a right answer", good), ("a wrong answer", bad)] {
        let start = Instant::now();
        for _ in 0..rounds {
            let _ = std::hint::black_box(pow.check_at(
                wave,
                &client,
                answer,
                OffsetDateTime::now_utc(),
            ));
        }
        println!(
            "verifying {name}: {:.2} µs",
            start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds)
        );
    }
    let start = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(pow.issue_at(wave, &client, OffsetDateTime::now_utc()));
    }
    println!(
        "issuing a challenge: {:.2} µs",
        start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds)
    );
    pow.check_at(wave, &client, good, OffsetDateTime::now_utc())
}
