//! SMS over the provider's HTTP API (`POST {url}/v1/messages`), with the
//! idempotency key in `Idempotency-Key`: a provider that honours it (the
//! simulator does) closes the send-to-mark window for SMS entirely.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde::{Deserialize, Serialize};

use super::{Outgoing, SendError};
use crate::config::SmsSettings;

/// Used when a 429 carries no usable Retry-After.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

pub struct SmsProvider {
    http: reqwest::Client,
    url: String,
}

#[derive(Serialize)]
struct SendBody<'a> {
    to: &'a str,
    text: &'a str,
}

#[derive(Deserialize)]
struct Accepted {
    message_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("the SMS provider answered {0}")]
struct Status(StatusCode);

impl SmsProvider {
    pub fn new(settings: &SmsSettings) -> Result<Self, reqwest::Error> {
        let timeout = Duration::from_millis(settings.timeout_ms);
        Ok(Self {
            http: reqwest::Client::builder()
                .connect_timeout(timeout)
                .timeout(timeout)
                .build()?,
            url: format!("{}/v1/messages", settings.url.trim_end_matches('/')),
        })
    }

    pub async fn send(&self, message: &Outgoing) -> Result<Option<String>, SendError> {
        let response = self
            .http
            .post(&self.url)
            .header("idempotency-key", &message.key)
            .json(&SendBody {
                to: &message.to,
                text: &message.body,
            })
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    SendError::transient("sms timeout", e)
                } else {
                    SendError::transient("sms unavailable", e)
                }
            })?;
        let status = response.status();
        if status.is_success() {
            let accepted: Option<Accepted> = response.json().await.ok();
            return Ok(accepted.and_then(|a| a.message_id));
        }
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => SendError::Throttled {
                label: "sms provider at capacity",
                retry_after: retry_after(response.headers()).unwrap_or(DEFAULT_RETRY_AFTER),
            },
            StatusCode::REQUEST_TIMEOUT => SendError::transient("sms timeout", Status(status)),
            s if s.is_server_error() => SendError::transient("sms unavailable", Status(status)),
            // 4xx: this number or message will never be taken.
            _ => SendError::permanent("sms refused", Status(status)),
        })
    }
}

/// Retry-After in seconds (the HTTP-date form is not used by SMS APIs).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}
