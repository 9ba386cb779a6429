//! The two providers behind one shape: a [`Pacer`] (the provider's
//! `governor` rate and any pause it asked for with Retry-After) in front of
//! each attempt, and errors classed as transient or permanent.

mod email;
mod pacer;
mod sms;

use std::time::Duration;

pub use email::EmailProvider;
pub use pacer::Pacer;
pub use sms::SmsProvider;

use crate::BoxError;

/// A message ready for a provider.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The idempotency key as text, for the provider (`Idempotency-Key`,
    /// the email's `Message-ID`).
    pub key: String,
    pub to: String,
    /// The applicant's name (email display name).
    pub name: String,
    pub subject: Option<String>,
    pub body: String,
}

/// Why a send did not go through. The label is for headers, metrics and
/// the `notifications.failure` column; it never holds personal data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// Over the provider's capacity: wait this long (its Retry-After).
    #[error("{label}")]
    Throttled {
        label: &'static str,
        retry_after: Duration,
    },
    /// May succeed later (provider down, timeout, 5xx, SMTP 4xx).
    #[error("{label}")]
    Transient {
        label: &'static str,
        #[source]
        source: Option<BoxError>,
    },
    /// Will never succeed (an address or number the provider refuses).
    #[error("{label}")]
    Permanent {
        label: &'static str,
        #[source]
        source: Option<BoxError>,
    },
}

impl SendError {
    pub fn transient(label: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Transient {
            label,
            source: Some(source.into()),
        }
    }

    pub fn permanent(label: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Permanent {
            label,
            source: Some(source.into()),
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Self::Throttled { label, .. }
            | Self::Transient { label, .. }
            | Self::Permanent { label, .. } => label,
        }
    }

    /// Short outcome name for the latency histogram.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Throttled { .. } => "throttled",
            Self::Transient { .. } => "transient",
            Self::Permanent { .. } => "permanent",
        }
    }
}

use lonjak_store::Channel;
use tokio::time::Instant;

use crate::metrics::{CallLabels, ChannelLabels, Metrics};

/// Both providers with their pacers.
pub struct Providers {
    pub email: EmailProvider,
    pub sms: SmsProvider,
    pub email_pacer: Pacer,
    pub sms_pacer: Pacer,
    pub metrics: Metrics,
}

impl Providers {
    /// Sends `message` on `channel` before `deadline`: waits for the pacer,
    /// and after a 429 pauses the provider for its Retry-After and tries
    /// again, as long as the deadline allows. A transient or permanent
    /// failure returns at once (retries go through the queues, with backoff).
    pub async fn deliver(
        &self,
        channel: Channel,
        message: &Outgoing,
        deadline: Instant,
    ) -> Result<Option<String>, SendError> {
        let pacer = match channel {
            Channel::Email => &self.email_pacer,
            Channel::Sms => &self.sms_pacer,
        };
        loop {
            pacer
                .admit(deadline)
                .await
                .map_err(|_| SendError::Transient {
                    label: "provider rate limit",
                    source: None,
                })?;
            let started = Instant::now();
            let attempt = async {
                match channel {
                    Channel::Email => self.email.send(message).await,
                    Channel::Sms => self.sms.send(message).await,
                }
            };
            let result = tokio::time::timeout_at(deadline, attempt)
                .await
                .unwrap_or(Err(SendError::Transient {
                    label: "send deadline",
                    source: None,
                }));
            let outcome = match &result {
                Ok(_) => "ok",
                Err(error) => error.kind(),
            };
            self.metrics
                .provider_latency
                .get_or_create(&CallLabels {
                    channel: channel.as_str(),
                    outcome,
                })
                .observe(started.elapsed().as_secs_f64());
            match result {
                Err(SendError::Throttled { label, retry_after }) => {
                    self.metrics
                        .throttled
                        .get_or_create(&ChannelLabels {
                            channel: channel.as_str(),
                        })
                        .inc();
                    pacer.pause(retry_after);
                    if Instant::now() + retry_after >= deadline {
                        return Err(SendError::Transient {
                            label,
                            source: None,
                        });
                    }
                }
                other => return other,
            }
        }
    }
}
