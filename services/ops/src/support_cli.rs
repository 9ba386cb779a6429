//! `lonjak-ops access-log` and `lonjak-ops support …`: the support desk
//! from the command line (the agents' commands: `support_agent`), through the admin API (token in
//! `LONJAK_ADMIN_TOKEN`). `support replay` also reaches the broker: it
//! moves the registration's dead letters back to their work queues, then
//! closes the request with what it moved.

use clap::{Args, Subcommand};
use lonjak_bus::dlq_pick::replay_registration;
use lonjak_ops::client::AdminClient;
use lonjak_ops::support_client::AccessQuery;
use lonjak_ops::support_wire::{CloseReplayRequest, ReplayRequestBody};

use crate::{Cli, Queue, support_agent};

/// Filters of the access log; each optional.
#[derive(Debug, Args)]
pub(crate) struct AccessLogArgs {
    /// A token holder's name.
    #[arg(long)]
    actor: Option<String>,
    /// Entries naming this registration id.
    #[arg(long)]
    registration: Option<String>,
    /// lookup, lookup_unmasked, resend_verification_email, resend_notification,
    /// replay_request, …, or `METHOD /route` of a refused request.
    #[arg(long)]
    action: Option<String>,
    /// ok, not_found, invalid, forbidden, unauthenticated, limited, conflict, failed.
    #[arg(long)]
    outcome: Option<String>,
    /// RFC 3339: at or after.
    #[arg(long)]
    since: Option<String>,
    /// RFC 3339: before.
    #[arg(long)]
    until: Option<String>,
    /// Newest first, at most this many (up to 1,000).
    #[arg(long, default_value_t = 100)]
    limit: u32,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SupportCommand {
    /// Find a caller's registrations, masked (agents): `--nik`, `--email`
    /// or `--phone`, the value on stdin (or in LONJAK_LOOKUP_VALUE).
    Lookup(support_agent::LookupArgs),
    /// Send registration ID a new verification link.
    ResendLink {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Send registration ID's notification (as the look-up lists it) again.
    Resend {
        id: String,
        #[arg(long)]
        event: String,
        #[arg(long)]
        channel: String,
        #[arg(long)]
        reason: String,
    },
    /// Ask the operators to replay registration ID's dead letters.
    RequestReplay {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Replay requests filed by agents (default: the open ones).
    Replays {
        /// open, replayed or declined; `all` for every one.
        #[arg(long, default_value = "open")]
        state: String,
    },
    /// Move request ID's dead letters back to their work queues, then
    /// close the request as replayed (left open when none was found).
    Replay {
        request: i64,
        /// Only this queue's dead letters (default: every work queue's).
        #[arg(long)]
        queue: Option<Queue>,
    },
    /// Close request ID without replaying it.
    Decline {
        request: i64,
        /// Why (recorded with the request and in the access log).
        #[arg(long)]
        note: String,
    },
}

pub(crate) async fn access_log(cli: &Cli, args: &AccessLogArgs) -> anyhow::Result<()> {
    let api = AdminClient::from_env(&cli.admin_url)?;
    let entries = api
        .access_log(&AccessQuery {
            actor: args.actor.clone(),
            registration_id: args.registration.clone(),
            action: args.action.clone(),
            outcome: args.outcome.clone(),
            since: args.since.clone(),
            until: args.until.clone(),
            before_id: None,
            limit: Some(args.limit),
        })
        .await?;
    println!("{} entr(ies), newest first", entries.len());
    for e in &entries {
        println!(
            "{}\t{}\t{}({})\t{}\t{}\t{}\t{}\treason={}\t{}",
            e.id,
            e.at,
            e.actor,
            e.role.as_deref().unwrap_or("-"),
            e.action,
            e.lookup_kind.as_deref().unwrap_or("-"),
            if e.registration_ids.is_empty() {
                "-".to_owned()
            } else {
                e.registration_ids.join(",")
            },
            e.outcome,
            e.reason.as_deref().unwrap_or("-"),
            e.detail.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

fn print_request(r: &ReplayRequestBody) {
    println!(
        "{}\t{}\t{}\tby {} at {}\treason={}{}",
        r.id,
        r.registration_id,
        r.state,
        r.requested_by,
        r.requested_at,
        r.reason,
        r.note
            .as_deref()
            .map(|n| format!("\tnote={n}"))
            .unwrap_or_default()
    );
}

pub(crate) async fn run(cli: &Cli, command: &SupportCommand) -> anyhow::Result<()> {
    let api = AdminClient::from_env(&cli.admin_url)?;
    match command {
        SupportCommand::Lookup(args) => support_agent::lookup(&api, args).await?,
        SupportCommand::ResendLink { id, reason } => {
            support_agent::resend_link(&api, id, reason).await?;
        }
        SupportCommand::Resend {
            id,
            event,
            channel,
            reason,
        } => support_agent::resend(&api, id, event, channel, reason).await?,
        SupportCommand::RequestReplay { id, reason } => {
            support_agent::request_replay(&api, id, reason).await?;
        }
        SupportCommand::Replays { state } => {
            let state = (state != "all").then_some(state.as_str());
            let requests = api.replay_requests(state).await?;
            println!("{} replay request(s)", requests.len());
            requests.iter().for_each(print_request);
        }
        SupportCommand::Replay { request, queue } => {
            let found = api
                .replay_requests(Some("open"))
                .await?
                .into_iter()
                .find(|r| r.id == *request)
                .ok_or_else(|| anyhow::anyhow!("no open replay request {request}"))?;
            let queues: Vec<Queue> = match queue {
                Some(q) => vec![*q],
                None => vec![
                    Queue::Verifier,
                    Queue::Eligibility,
                    Queue::NotifyEmail,
                    Queue::NotifySms,
                    Queue::PhotoCheck,
                ],
            };
            let bus = crate::connect(cli).await?;
            let mut moved = Vec::new();
            for q in queues {
                let replayed = replay_registration(&bus, q.into(), &found.registration_id).await;
                match replayed {
                    Ok(r) if r.moved > 0 => {
                        moved.push(format!("{} from {}", r.moved, bus.topology().dlq(q.into())));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        bus.close().await;
                        return Err(anyhow::Error::new(e).context("replaying dead letters"));
                    }
                }
            }
            bus.close().await;
            if moved.is_empty() {
                println!(
                    "no dead letter of {} found; request {request} left open",
                    found.registration_id
                );
                return Ok(());
            }
            let note = format!("replayed {}", moved.join(", "));
            let closed = api
                .close_replay_request(
                    *request,
                    &CloseReplayRequest {
                        state: Some("replayed".to_owned()),
                        note: Some(note),
                    },
                )
                .await?;
            print_request(&closed);
        }
        SupportCommand::Decline { request, note } => {
            let closed = api
                .close_replay_request(
                    *request,
                    &CloseReplayRequest {
                        state: Some("declined".to_owned()),
                        note: Some(note.clone()),
                    },
                )
                .await?;
            print_request(&closed);
        }
    }
    Ok(())
}
