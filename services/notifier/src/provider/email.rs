//! Email over SMTP (lettre, pooled connections). The `Message-ID` is derived
//! from the idempotency key, so a receiving system that de-duplicates by it
//! drops the one repeat the send-to-mark window can cause.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::PoolConfig;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::{Outgoing, SendError};
use crate::config::EmailSettings;

pub struct EmailProvider {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    message_id_domain: String,
}

/// The SMTP settings cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmailSetupError {
    #[error("email.smtp_url is not a usable SMTP URL")]
    Url,
    #[error("email.smtp_url asks for TLS, but this build has no `tls` feature")]
    NoTls,
    #[error("email.from is not a valid mailbox")]
    From(#[source] lettre::address::AddressError),
    #[error("email.smtp_url")]
    Smtp(#[source] lettre::transport::smtp::Error),
}

impl EmailProvider {
    pub fn new(settings: &EmailSettings) -> Result<Self, EmailSetupError> {
        let builder = transport_builder(settings.smtp_url.expose_secret())?;
        let transport = builder
            .timeout(Some(Duration::from_millis(settings.timeout_ms)))
            .pool_config(PoolConfig::new().max_size(settings.pool_size))
            .build();
        let from = settings.from.parse().map_err(EmailSetupError::From)?;
        Ok(Self {
            transport,
            from,
            message_id_domain: settings.message_id_domain.clone(),
        })
    }

    /// Sends one message; the relay's answer classes the failure: SMTP 5xx
    /// is permanent, anything else (4xx, connection, timeout) transient.
    pub async fn send(&self, message: &Outgoing) -> Result<Option<String>, SendError> {
        let address: Address = message
            .to
            .parse()
            .map_err(|e| SendError::permanent("invalid email address", e))?;
        let to = Mailbox::new(Some(message.name.clone()), address);
        let message_id = format!("<{}@{}>", message.key, self.message_id_domain);
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone().unwrap_or_default())
            .message_id(Some(message_id.clone()))
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| SendError::permanent("unbuildable email", e))?;
        match self.transport.send(email).await {
            Ok(_) => Ok(Some(message_id)),
            Err(error) if error.is_permanent() => Err(SendError::permanent("smtp refused", error)),
            Err(error) if error.is_timeout() => Err(SendError::transient("smtp timeout", error)),
            Err(error) => Err(SendError::transient("smtp unavailable", error)),
        }
    }
}

#[cfg(feature = "tls")]
fn transport_builder(
    url: &str,
) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder, EmailSetupError> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(EmailSetupError::Smtp)
}

/// Without TLS support only plain `smtp://[user:pass@]host[:port]` works.
#[cfg(not(feature = "tls"))]
fn transport_builder(
    url: &str,
) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder, EmailSetupError> {
    use lettre::transport::smtp::authentication::Credentials;

    let url = reqwest::Url::parse(url).map_err(|_| EmailSetupError::Url)?;
    match url.scheme() {
        "smtp" if url.query_pairs().all(|(k, _)| k != "tls") => {}
        "smtp" | "smtps" => return Err(EmailSetupError::NoTls),
        _ => return Err(EmailSetupError::Url),
    }
    let host = url.host_str().ok_or(EmailSetupError::Url)?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(url.port().unwrap_or(25));
    if !url.username().is_empty() {
        builder = builder.credentials(Credentials::new(
            url.username().to_owned(),
            url.password().unwrap_or_default().to_owned(),
        ));
    }
    Ok(builder)
}

#[cfg(all(test, not(feature = "tls")))]
mod tests {
    use super::*;

    #[test]
    fn plain_smtp_urls_build_and_tls_ones_say_why_not() {
        assert!(transport_builder("smtp://127.0.0.1:1025").is_ok());
        assert!(transport_builder("smtp://user:pw@mail.example:587").is_ok());
        assert!(matches!(
            transport_builder("smtps://mail.example"),
            Err(EmailSetupError::NoTls)
        ));
        assert!(matches!(
            transport_builder("smtp://mail.example?tls=required"),
            Err(EmailSetupError::NoTls)
        ));
        assert!(matches!(
            transport_builder("http://mail.example"),
            Err(EmailSetupError::Url)
        ));
    }
}
