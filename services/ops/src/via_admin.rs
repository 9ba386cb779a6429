//! The commands that have an admin endpoint, acting through the admin API
//! (`--admin-url`, token in `LONJAK_ADMIN_TOKEN`): what they print is what
//! the direct-database mode prints.

use std::time::Instant;

use lonjak_ops::client::AdminClient;
use lonjak_ops::report;
use lonjak_ops::wire::{CreateWave, SelectionKind};

use crate::direct::gateway_accepted;
use crate::{Cli, Command, WaveCommand, parse_id, wave_number};

pub(crate) async fn run(cli: &Cli, command: &Command) -> anyhow::Result<()> {
    let api = AdminClient::from_env(&cli.admin_url)?;
    match command {
        Command::Wave(wave) => {
            let moved = match wave {
                WaveCommand::List => {
                    print!("{}", report::waves(&api.waves().await?));
                    return Ok(());
                }
                WaveCommand::Create {
                    wave,
                    quota,
                    opens_at,
                    closes_at,
                    email_verification_required,
                    photos_required,
                } => {
                    let new = CreateWave {
                        wave: i64::from(*wave),
                        quota: i64::from(*quota),
                        opens_at: opens_at.clone(),
                        closes_at: closes_at.clone(),
                        email_verification_required: Some(*email_verification_required),
                        photos_required: Some(*photos_required),
                    };
                    api.create_wave(&new).await?
                }
                WaveCommand::Open { wave } => api.move_wave(wave_number(*wave)?, "open").await?,
                WaveCommand::Close { wave } => api.move_wave(wave_number(*wave)?, "close").await?,
            };
            println!("wave {} is {}", moved.number, moved.state);
        }
        Command::Select {
            wave,
            work_mem,
            page,
        } => {
            let wave = wave_number(*wave)?;
            let started = Instant::now();
            let selection = api.select(wave, work_mem).await?;
            let counts = selection.counts();
            match selection.outcome {
                SelectionKind::Decided => println!(
                    "wave {wave} selected in {:.1} s: {} selected, {} waitlisted, {} rejected (KK cap)",
                    selection.duration_ms as f64 / 1000.0,
                    counts.selected,
                    counts.waitlisted,
                    counts.rejected
                ),
                SelectionKind::AlreadyDecided => println!(
                    "wave {wave} was selected before: {} selected, {} waitlisted, {} rejected (KK cap); resuming its announcement",
                    counts.selected, counts.waitlisted, counts.rejected
                ),
            }
            let announced = api.announce(wave, *page).await?;
            println!(
                "{} event(s) published in this run, {} decision(s) in all; wave {wave} {} ({:.1} s in all)",
                announced.published,
                counts.selected + counts.waitlisted + counts.rejected,
                if announced.finished {
                    "announced"
                } else {
                    "not fully announced yet"
                },
                started.elapsed().as_secs_f64()
            );
        }
        Command::Explain { registration_id } => {
            let explanation = api.explain(&parse_id(registration_id)?).await?;
            print!("{}", report::explanation(&explanation));
        }
        Command::Funnel {
            wave,
            gateway_metrics,
        } => {
            let funnel = api.funnel(wave_number(*wave)?).await?;
            let accepted = gateway_accepted(gateway_metrics).await;
            print!("{}", report::funnel(*wave, &funnel.to_funnel(), accepted));
        }
        Command::Rejoin { registration_id } => {
            let moved = api.rejoin(&parse_id(registration_id)?).await?;
            println!(
                "{} moved from wave {} to wave {}",
                moved.registration_id, moved.from, moved.to
            );
        }
        Command::Migrate
        | Command::Topology
        | Command::Dlq(_)
        | Command::Keys(_)
        | Command::Retention(_) => {
            anyhow::bail!("this command acts on the database or broker directly")
        }
        Command::AccessLog(_) | Command::Support(_) => {
            anyhow::bail!("the support desk's commands are handled before the admin commands")
        }
    }
    Ok(())
}
