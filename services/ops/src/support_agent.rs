//! `lonjak-ops support lookup|resend-link|resend|request-replay`: the
//! agents' commands, an alternative to the console at `/desk/`, through
//! the admin API with the holder's token (`LONJAK_ADMIN_TOKEN`). The
//! looked-up value is read from stdin (or `LONJAK_LOOKUP_VALUE`), never
//! from the command line, so it stays out of the process list and the
//! shell history.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use clap::{ArgGroup, Args};
use lonjak_domain::RegistrationId;
use lonjak_ops::client::AdminClient;
use lonjak_ops::support_text;
use lonjak_ops::support_wire::{LookupRequest, NotificationResendRequest};

/// Where the value comes from when stdin is not used.
pub(crate) const VALUE_ENV: &str = "LONJAK_LOOKUP_VALUE";

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("kind").required(true).args(["nik", "email", "phone"])))]
pub(crate) struct LookupArgs {
    /// Look up by NIK (the value from stdin).
    #[arg(long)]
    pub nik: bool,
    /// Look up by email (the value from stdin).
    #[arg(long)]
    pub email: bool,
    /// Look up by phone, `08…` or `+62…` (the value from stdin).
    #[arg(long)]
    pub phone: bool,
    /// Why: the ticket number, the caller's question; no personal data.
    #[arg(long)]
    pub reason: String,
}

/// The value: `LONJAK_LOOKUP_VALUE` when set, else stdin's first line.
pub(crate) fn read_value(env: Option<String>, stdin: impl BufRead) -> anyhow::Result<String> {
    let value = match env {
        Some(value) => value,
        None => stdin
            .lines()
            .next()
            .transpose()
            .context("reading the value from stdin")?
            .unwrap_or_default(),
    };
    let value = value.trim().to_owned();
    anyhow::ensure!(
        !value.is_empty(),
        "give the value on stdin (or in {VALUE_ENV}), not on the command line"
    );
    Ok(value)
}

pub(crate) fn request(args: &LookupArgs, value: String) -> LookupRequest {
    let value = Some(value);
    LookupRequest {
        nik: value.clone().filter(|_| args.nik),
        email: value.clone().filter(|_| args.email),
        phone: value.filter(|_| args.phone),
        reason: Some(args.reason.clone()),
        unmasked: false,
    }
}

fn id(raw: &str) -> anyhow::Result<RegistrationId> {
    RegistrationId::parse(raw).map_err(|e| anyhow::anyhow!("registration id {raw:?}: {e}"))
}

pub(crate) async fn lookup(api: &AdminClient, args: &LookupArgs) -> anyhow::Result<()> {
    let from_env = std::env::var(VALUE_ENV).ok();
    if from_env.is_none() && std::io::stdin().is_terminal() {
        // Typed, not pasted into the command: say what is awaited.
        eprint!("value: ");
    }
    let value = read_value(std::env::var(VALUE_ENV).ok(), std::io::stdin().lock())?;
    let answer = api.support_lookup(&request(args, value)).await?;
    print!("{}", support_text::render(&answer));
    Ok(())
}

pub(crate) async fn resend_link(api: &AdminClient, raw: &str, reason: &str) -> anyhow::Result<()> {
    let done = api.resend_verification_email(&id(raw)?, reason).await?;
    println!(
        "{}: {} ({} left today)",
        done.action, done.status, done.left_today
    );
    Ok(())
}

pub(crate) async fn resend(
    api: &AdminClient,
    raw: &str,
    event: &str,
    channel: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let request = NotificationResendRequest {
        event: Some(event.to_owned()),
        channel: Some(channel.to_owned()),
        reason: Some(reason.to_owned()),
    };
    let done = api.resend_notification(&id(raw)?, &request).await?;
    println!(
        "{}: {} ({} left today)",
        done.action, done.status, done.left_today
    );
    Ok(())
}

pub(crate) async fn request_replay(
    api: &AdminClient,
    raw: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let filed = api.request_replay(&id(raw)?, reason).await?;
    println!(
        "replay request {} for {}: {}",
        filed.id, filed.registration_id, filed.state
    );
    Ok(())
}
