//! `lonjak-preload COUNT [WAVE]`: publishes COUNT distinct, valid
//! `registration.submitted` events straight to the intake queue, as the
//! gateway would after accepting them (ids derived with the deployment's
//! identity key), with confirms pipelined. The drain benchmark uses it to
//! fill the queue while no worker runs. Broker and key come from the usual
//! settings (`LONJAK_BUS__*`, `LONJAK_IDENTITY__KEY`, and the public key
//! the applicants are sealed to, `LONJAK_SEAL__PUBLIC_KEY`).

use anyhow::Context;
use futures::StreamExt;
use lonjak_bus::{Bus, BusSettings, Envelope};
use lonjak_domain::testing::sample_request;
use lonjak_domain::{IdentitySettings, Registration, RegistrationId, Wave, submission_date};
use time::OffsetDateTime;

#[derive(serde::Deserialize)]
struct Settings {
    #[serde(default)]
    bus: BusSettings,
    identity: IdentitySettings,
    seal: lonjak_seal::SealingSettings,
}

/// Publishes in flight at once: enough to pipeline confirms, few enough to
/// stay far below the broker's credit flow.
const IN_FLIGHT: usize = 500;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let count: u64 = args
        .next()
        .context("usage: lonjak-preload COUNT [WAVE]")?
        .parse()
        .context("COUNT must be a number")?;
    let wave: u32 = args
        .next()
        .map_or(Ok(1), |w| w.parse())
        .context("WAVE must be a number")?;
    let wave = Wave::new(wave).context("WAVE must be at least 1")?;
    let settings: Settings = lonjak_settings::load(&[]).context("loading settings")?;
    let bus = Bus::connect(settings.bus.to_config())
        .await
        .context("connecting to the broker")?;
    let key = settings.identity.key;
    let seal_key = settings.seal.public_key;
    let now = OffsetDateTime::now_utc();
    let today = submission_date(now);
    // Seeds spread by wave, so runs on different waves use different people.
    let base = u64::from(wave.get()) * 10_000_000;
    let publisher = bus.publisher();
    let started = std::time::Instant::now();
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(0..count)
        .map(|i| {
            let publisher = publisher.clone();
            let key = key.clone();
            let seal = seal_key.clone();
            async move {
                let mut request = sample_request(base + i, today);
                request.wave = Some(i64::from(wave.get()));
                let reg = Registration::parse(&request, today, wave)
                    .map_err(|e| anyhow::anyhow!("sample {i} does not parse: {e}"))?;
                let id = RegistrationId::derive(&key, reg.nik(), wave);
                let event = lonjak_seal::seal_submitted(&seal, id, &reg, now)?;
                publisher
                    .publish_event(&Envelope::event(format!("preload-{i}"), event), None)
                    .await
                    .with_context(|| format!("publishing submission {i}"))
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(error)) = results.into_iter().find(Result::is_err) {
        eprintln!("first failure: {error:#}");
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "preloaded {} of {count} registrations for wave {} in {seconds:.1} s ({:.0}/s)",
        count - failed as u64,
        wave.get(),
        (count - failed as u64) as f64 / seconds
    );
    bus.close().await;
    anyhow::ensure!(failed == 0, "{failed} publishes failed");
    Ok(())
}
