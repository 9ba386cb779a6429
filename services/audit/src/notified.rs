//! Notifications, checked at the providers themselves: every registration
//! that reached a final state must have its message there exactly once per
//! channel. The providers are read over their own HTTP APIs after the
//! drain: `email=URL` a maildev (`GET /email`, the `Message-ID`s), `sms=URL`
//! the SMS simulator (`GET /v1/messages`, the `Idempotency-Key`s). Both carry
//! the notifier's idempotency key `<registration_id>.<event>.<channel>`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

use crate::classify::RecordFacts;

/// Bound on one read of a provider.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A provider read live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveProvider {
    /// `email` (a maildev) or `sms` (the SMS simulator).
    pub channel: String,
    pub url: String,
}

/// What the providers hold, per (registration id, `channel:event`): how
/// many messages.
pub type Received = BTreeMap<(String, String), u32>;

#[derive(Deserialize)]
struct Mail {
    #[serde(rename = "messageId")]
    message_id: Option<String>,
}

#[derive(Deserialize)]
struct SmsList {
    messages: Vec<Sms>,
}

#[derive(Deserialize)]
struct Sms {
    idempotency_key: Option<String>,
}

/// `<id>.<event>.<channel>` → (id, `channel:event`); anything else (mail
/// from elsewhere, a message without a key) is not the notifier's.
pub fn parse_key(key: &str, channel: &str) -> Option<(String, String)> {
    let key = key.trim_start_matches('<');
    let key = key.split('@').next().unwrap_or(key);
    let rest = key.strip_suffix(&format!(".{channel}"))?;
    let (id, event) = rest.split_once('.')?;
    let is_id = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
    (is_id && !event.is_empty()).then(|| (id.to_owned(), format!("{channel}:{event}")))
}

/// Reads every provider once.
pub async fn read(providers: &[LiveProvider]) -> anyhow::Result<Received> {
    let client = reqwest::Client::builder()
        .timeout(READ_TIMEOUT)
        .build()
        .context("building the HTTP client")?;
    let mut received = Received::new();
    for provider in providers {
        let base = provider.url.trim_end_matches('/');
        let keys: Vec<Option<String>> = match provider.channel.as_str() {
            "email" => {
                let mails: Vec<Mail> = get(&client, &format!("{base}/email")).await?;
                mails.into_iter().map(|m| m.message_id).collect()
            }
            _ => {
                let list: SmsList = get(&client, &format!("{base}/v1/messages")).await?;
                list.messages
                    .into_iter()
                    .map(|m| m.idempotency_key)
                    .collect()
            }
        };
        for key in keys.iter().flatten() {
            if let Some(entry) = parse_key(key, &provider.channel) {
                *received.entry(entry).or_default() += 1;
            }
        }
    }
    Ok(received)
}

async fn get<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
) -> anyhow::Result<T> {
    client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("reading {url}"))?
        .json()
        .await
        .with_context(|| format!("decoding {url}"))
}

/// The message a record's final state calls for on `channel`: the
/// rejection with its reason, else the verification (a scored, selected or
/// waitlisted registration was verified first). `None` before a final state.
pub fn expected_key(record: &RecordFacts, done: bool, channel: &str) -> Option<String> {
    if !done {
        return None;
    }
    Some(match (record.status.as_str(), &record.reason) {
        ("rejected", Some(reason)) => format!("{channel}:rejected.{reason}"),
        _ => format!("{channel}:verified"),
    })
}

/// The verdict on notifications: ids missing a message on some channel,
/// and ids with a message received more than once, by provider.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct NotifiedVerdict {
    pub missing: BTreeSet<String>,
    pub repeated: BTreeMap<String, BTreeSet<String>>,
}

/// Compares what the final records call for with what the providers hold.
/// Only ids of the audited records count (the providers hold other runs').
pub fn judge(
    records: &[(RecordFacts, bool)],
    providers: &[LiveProvider],
    received: &Received,
) -> NotifiedVerdict {
    let mut verdict = NotifiedVerdict::default();
    let ids: BTreeSet<&str> = records.iter().map(|(r, _)| r.id.as_str()).collect();
    for (record, done) in records {
        for provider in providers {
            if let Some(key) = expected_key(record, *done, &provider.channel)
                && !received.contains_key(&(record.id.clone(), key))
            {
                verdict.missing.insert(record.id.clone());
            }
        }
    }
    for ((id, key), n) in received {
        if *n > 1 && ids.contains(id.as_str()) {
            let channel = key.split(':').next().unwrap_or(key);
            verdict
                .repeated
                .entry(channel.to_owned())
                .or_default()
                .insert(id.clone());
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "54cdcce7c315a2f75f8a5d3ff443bd3d";

    fn record(id: &str, status: &str, reason: Option<&str>) -> RecordFacts {
        RecordFacts {
            id: id.to_owned(),
            status: status.to_owned(),
            reason: reason.map(str::to_owned),
            final_transitions: 1,
            max_repeated_transition: 1,
            max_events_per_key: 1,
        }
    }

    #[test]
    fn keys_are_read_from_message_ids_and_idempotency_keys() {
        assert_eq!(
            parse_key(&format!("<{ID}.verified.email@lonjak.local>"), "email"),
            Some((ID.to_owned(), "email:verified".to_owned()))
        );
        assert_eq!(
            parse_key(&format!("{ID}.rejected.under_18.sms"), "sms"),
            Some((ID.to_owned(), "sms:rejected.under_18".to_owned()))
        );
        assert_eq!(parse_key("hello@example.id", "email"), None);
        assert_eq!(parse_key(&format!("{ID}.verified.email"), "sms"), None);
    }

    #[test]
    fn a_missing_message_and_a_repeated_one_are_both_reported() {
        let other = "0".repeat(32);
        let providers = [
            LiveProvider {
                channel: "email".to_owned(),
                url: String::new(),
            },
            LiveProvider {
                channel: "sms".to_owned(),
                url: String::new(),
            },
        ];
        let records = [
            (record(ID, "rejected", Some("under_18")), true),
            (record(&other, "verified", None), true),
            (record(&"1".repeat(32), "verifying", None), false),
        ];
        let mut received = Received::new();
        received.insert((ID.to_owned(), "email:rejected.under_18".to_owned()), 1);
        received.insert((ID.to_owned(), "sms:rejected.under_18".to_owned()), 2);
        received.insert((other.clone(), "email:verified".to_owned()), 1);
        // Another run's id, sent twice: not this audit's business.
        received.insert(("f".repeat(32), "sms:verified".to_owned()), 2);

        let verdict = judge(&records, &providers, &received);
        assert_eq!(verdict.missing, BTreeSet::from([other]));
        assert_eq!(
            verdict.repeated,
            BTreeMap::from([("sms".to_owned(), BTreeSet::from([ID.to_owned()]))])
        );
    }
}
