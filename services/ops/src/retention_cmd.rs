//! `lonjak-ops retention plan|erase|period`: through the admin API by
//! default, on the database (and object store) with `--direct-database`.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::Context;
use lonjak_domain::Wave;
use lonjak_photos::{ObjectStore, ObjectStoreSettings};
use lonjak_store::{Store, StoreConfig};
use reqwest::Method;
use time::format_description::well_known::Rfc3339;

use crate::client::AdminClient;
use crate::retention::{self, ErasureBody, RetentionPlanBody, RetentionSettings};

/// `lonjak-ops retention …`.
#[derive(Debug, clap::Subcommand)]
pub enum RetentionCommand {
    /// Per wave: state, announcement, period, due date, and how many
    /// rejected and waitlisted applicants an erasure takes (now if due).
    Plan {
        #[arg(long)]
        wave: Option<u32>,
    },
    /// Erase the personal data that is due (safe to stop and run again).
    Erase {
        #[arg(long)]
        wave: Option<u32>,
        /// At most this many applicants in this run.
        #[arg(long)]
        limit: Option<u64>,
    },
    /// Set a wave's own retention period, or `--default` to follow
    /// `retention.period_days` again.
    Period {
        #[arg(long)]
        wave: u32,
        #[arg(long, conflicts_with = "default", required_unless_present = "default")]
        days: Option<u32>,
        #[arg(long)]
        default: bool,
    },
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Settings {
    retention: RetentionSettings,
    object_store: ObjectStoreSettings,
}

fn wave(n: Option<u32>) -> anyhow::Result<Option<Wave>> {
    n.map(|n| Wave::new(n).map_err(|e| anyhow::anyhow!("wave {n}: {e}")))
        .transpose()
}

/// Runs `command` through the admin API at `admin_url`, or on the database
/// at `database_url` when `direct`.
pub async fn run(
    command: &RetentionCommand,
    admin_url: &str,
    direct: Option<&str>,
    query_timeout: Duration,
) -> anyhow::Result<()> {
    match direct {
        None => {
            let api = AdminClient::from_env(admin_url)?;
            match *command {
                RetentionCommand::Plan { wave: w } => {
                    print!("{}", plan_report(&api.retention_plan(wave(w)?).await?));
                }
                RetentionCommand::Erase { wave: w, limit } => {
                    print!("{}", erasure_report(&api.erase(wave(w)?, limit).await?));
                }
                RetentionCommand::Period {
                    wave: w,
                    days,
                    default,
                } => {
                    let w = Wave::new(w).map_err(|e| anyhow::anyhow!("wave {w}: {e}"))?;
                    let days = days.filter(|_| !default);
                    api.set_retention(w, days).await?;
                    println!("{}", period_report(w, days));
                }
            }
        }
        Some(database_url) => {
            let settings: Settings =
                lonjak_settings::load(&[]).context("loading the retention settings")?;
            let mut config = StoreConfig::without_personal_data(database_url.to_owned());
            config.query_timeout = query_timeout;
            config.max_connections = 2;
            let store = Store::connect(config)
                .await
                .context("connecting to the database")?;
            if let RetentionCommand::Plan { wave: Some(w) }
            | RetentionCommand::Erase { wave: Some(w), .. } = *command
            {
                let number = Wave::new(w).map_err(|e| anyhow::anyhow!("wave {w}: {e}"))?;
                if store.wave(number).await?.is_none() {
                    anyhow::bail!("wave {w} does not exist");
                }
            }
            match *command {
                RetentionCommand::Plan { wave: w } => {
                    let plan = retention::plan(&store, &settings.retention, wave(w)?).await?;
                    print!("{}", plan_report(&plan));
                }
                RetentionCommand::Erase { wave: w, limit } => {
                    let objects = if settings.object_store.is_enabled() {
                        Some(ObjectStore::new(&settings.object_store)?)
                    } else {
                        None
                    };
                    let done = retention::erase(
                        &store,
                        objects.as_ref(),
                        &settings.retention,
                        wave(w)?,
                        limit,
                    )
                    .await?;
                    print!("{}", erasure_report(&done));
                }
                RetentionCommand::Period {
                    wave: w,
                    days,
                    default,
                } => {
                    let w = Wave::new(w).map_err(|e| anyhow::anyhow!("wave {w}: {e}"))?;
                    let days = days.filter(|_| !default);
                    if !store.set_wave_retention(w, days).await? {
                        anyhow::bail!("wave {w} does not exist");
                    }
                    println!("{}", period_report(w, days));
                }
            }
        }
    }
    Ok(())
}

impl AdminClient {
    /// `GET /v1/retention[?wave=N]`.
    pub async fn retention_plan(&self, wave: Option<Wave>) -> anyhow::Result<RetentionPlanBody> {
        let path = match wave {
            Some(w) => format!("/v1/retention?wave={w}"),
            None => "/v1/retention".to_owned(),
        };
        self.call(Method::GET, &path, None::<&()>).await
    }

    /// `POST /v1/retention/erasure[?wave=N][&limit=M]`.
    pub async fn erase(
        &self,
        wave: Option<Wave>,
        limit: Option<u64>,
    ) -> anyhow::Result<ErasureBody> {
        let mut query = Vec::new();
        if let Some(w) = wave {
            query.push(format!("wave={w}"));
        }
        if let Some(limit) = limit {
            query.push(format!("limit={limit}"));
        }
        let path = format!("/v1/retention/erasure?{}", query.join("&"));
        self.call(Method::POST, &path, None::<&()>).await
    }

    /// `PUT /v1/waves/{n}/retention`: `None` follows the default again.
    pub async fn set_retention(&self, wave: Wave, period_days: Option<u32>) -> anyhow::Result<()> {
        let path = format!("/v1/waves/{wave}/retention");
        let body = serde_json::json!({ "period_days": period_days });
        let _: serde_json::Value = self.call(Method::PUT, &path, Some(&body)).await?;
        Ok(())
    }
}

fn period_report(wave: Wave, days: Option<u32>) -> String {
    match days {
        Some(days) => {
            format!("wave {wave} keeps personal data {days} day(s) after its announcement")
        }
        None => format!("wave {wave} follows retention.period_days"),
    }
}

fn time(at: Option<time::OffsetDateTime>) -> String {
    at.and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "-".to_owned())
}

/// `lonjak-ops retention plan`.
pub fn plan_report(plan: &RetentionPlanBody) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "default period {} day(s) after the announcement",
        plan.default_period_days
    );
    let _ = writeln!(
        out,
        "{:>4} {:<9} {:<25} {:>6} {:<25} {:<4} {:>10} {:>10} {:>8} {:>6}",
        "wave",
        "state",
        "announced_at",
        "period",
        "due_at",
        "due",
        "rejected",
        "waitlisted",
        "erased",
        "photos"
    );
    for w in &plan.waves {
        let _ = writeln!(
            out,
            "{:>4} {:<9} {:<25} {:>6} {:<25} {:<4} {:>10} {:>10} {:>8} {:>6}",
            w.wave.get(),
            w.state.as_str(),
            time(w.announced_at),
            w.period_days,
            time(w.due_at),
            if w.due { "yes" } else { "no" },
            w.rejected,
            w.waitlisted,
            w.erased,
            w.photos_pending
        );
    }
    let (rejected, waitlisted) = plan
        .waves
        .iter()
        .filter(|w| w.due)
        .fold((0, 0), |(r, l), w| (r + w.rejected, l + w.waitlisted));
    let _ = writeln!(
        out,
        "an erasure now would erase {rejected} rejected and {waitlisted} waitlisted applicant(s)"
    );
    out
}

/// `lonjak-ops retention erase`.
pub fn erasure_report(done: &ErasureBody) -> String {
    let mut out = String::new();
    for w in &done.waves {
        let _ = writeln!(
            out,
            "wave {}: erased {} rejected and {} waitlisted applicant(s)",
            w.wave.get(),
            w.rejected,
            w.waitlisted
        );
    }
    let total: u64 = done.waves.iter().map(|w| w.rejected + w.waitlisted).sum();
    let _ = writeln!(
        out,
        "{total} applicant(s) erased, {} photo object(s) deleted, {} photo(s) still to delete; {}",
        done.objects_deleted,
        done.photos_pending,
        if done.complete {
            "nothing due is left"
        } else {
            "stopped at the limit: run again to go on"
        }
    );
    out
}
