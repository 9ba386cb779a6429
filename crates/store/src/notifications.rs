//! The notifier's idempotency keys: one row per (registration, event,
//! channel), claimed before a message is sent and settled after, and the
//! contact details a message goes to.

use std::collections::HashMap;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{Array, Double, Integer, Nullable, Text};
use diesel_async::RunQueryDsl;
use lonjak_domain::{EmailHash, Language, RegistrationId, RegistrationStatus, Wave};
use time::OffsetDateTime;

use crate::crypto::Field;
use crate::personal::StoredPersonal;
use crate::registrations::parse_status;
use crate::schema::registrations;
use crate::{Store, StoreError};

/// Where and how to write to an applicant. Personal data: `Debug` shows the
/// id and language only.
#[derive(Clone)]
pub struct Contact {
    pub registration_id: RegistrationId,
    pub wave: Wave,
    pub status: RegistrationStatus,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    /// The address's keyed hash, which verification links are signed over;
    /// `None` on a row from before versioned keys not yet rotated.
    pub email_hash: Option<EmailHash>,
    pub language: Language,
    pub email_verified_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contact")
            .field("registration_id", &self.registration_id.to_string())
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

/// A channel messages go out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub const ALL: [Self; 2] = [Self::Email, Self::Sms];

    /// As stored and as labelled in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }
}

/// The idempotency key of one message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NotificationKey {
    pub registration_id: RegistrationId,
    /// The news, not the delivery: `verified`, `rejected.under_18`,
    /// `email_verification.2020-04-11.2`.
    pub event: String,
    pub channel: Channel,
}

/// What claiming one key found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Ours to send; `attempts` counts this one (more than 1 after a
    /// transient failure, or a claim taken over after its lease ran out).
    Claimed { attempts: i32 },
    /// Sent already: nothing to do.
    Sent,
    /// Failed for good earlier: nothing to do.
    Failed,
    /// Another notifier holds an unexpired claim on it.
    Busy,
}

/// How one claimed message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// The provider accepted it (with its message id, if it gave one).
    Sent { provider_id: Option<String> },
    /// It can never be sent (an address the provider refuses): not retried.
    Failed { reason: &'static str },
    /// A transient failure: released so that a retry may claim it at once.
    Released { reason: &'static str },
}

#[derive(QueryableByName)]
struct ClaimRow {
    #[diesel(sql_type = Text)]
    registration_id: String,
    #[diesel(sql_type = Text)]
    event: String,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Nullable<Integer>)]
    claimed_attempts: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    existing_state: Option<String>,
}

/// Claims what is new or released, and claims whose lease ran out (their
/// holder died between claim and settle); the outer select reads the table
/// as it was before the insert, which tells sent, failed and busy apart.
const CLAIM_SQL: &str = "
WITH wanted AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS t(registration_id, event, channel)
), claimed AS (
    INSERT INTO notifications (registration_id, event, channel, state, claimed_until)
    SELECT registration_id, event, channel, 'claimed', now() + make_interval(secs => $4)
    FROM wanted
    ON CONFLICT (registration_id, event, channel) DO UPDATE
       SET state = 'claimed', claimed_until = EXCLUDED.claimed_until,
           attempts = notifications.attempts + 1
       WHERE notifications.state = 'pending'
          OR (notifications.state = 'claimed' AND notifications.claimed_until < now())
    RETURNING registration_id, event, channel, attempts
)
SELECT w.registration_id, w.event, w.channel,
       c.attempts AS claimed_attempts, n.state AS existing_state
FROM wanted w
LEFT JOIN claimed c USING (registration_id, event, channel)
LEFT JOIN notifications n USING (registration_id, event, channel)";

const SETTLE_SQL: &str = "
UPDATE notifications n
   SET state = t.state, failure = t.failure, claimed_until = NULL,
       provider_id = COALESCE(t.provider_id, n.provider_id),
       sent_at = CASE WHEN t.state = 'sent' THEN now() ELSE n.sent_at END
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
       AS t(registration_id, event, channel, state, failure, provider_id)
 WHERE n.registration_id = t.registration_id AND n.event = t.event
   AND n.channel = t.channel AND n.state = 'claimed'";

type ContactRow = (
    String,
    i32,
    String,
    StoredPersonal,
    Option<Vec<u8>>,
    String,
    Option<OffsetDateTime>,
);

impl Store {
    /// The contact details of `ids` that are recorded and not erased (the
    /// others are absent).
    pub async fn contacts(
        &self,
        ids: &[RegistrationId],
    ) -> Result<HashMap<RegistrationId, Contact>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let keys: Vec<String> = ids.iter().map(RegistrationId::to_string).collect();
        let rows: Vec<ContactRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(registrations::table
                        .filter(registrations::id.eq_any(keys))
                        // Erased (retention): nobody left to write to.
                        .filter(crate::retention::not_erased())
                        .select((
                            registrations::id,
                            registrations::wave_id,
                            registrations::status,
                            StoredPersonal::as_select(),
                            registrations::email_hash,
                            registrations::language,
                            registrations::email_verified_at,
                        ))
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        let ring = self.data_key()?;
        rows.into_iter()
            .map(
                |(id, wave, status, sealed, email_hash, language, verified)| {
                    let registration_id = RegistrationId::parse(&id)
                        .map_err(|_| StoreError::Decode(format!("registration id {id:?}")))?;
                    let contact = Contact {
                        registration_id,
                        wave: u32::try_from(wave)
                            .ok()
                            .and_then(|w| Wave::new(w).ok())
                            .ok_or_else(|| StoreError::Decode(format!("wave {wave}")))?,
                        status: parse_status(&status)?,
                        full_name: sealed.open(ring, &id, Field::FullName)?,
                        email: sealed.open(ring, &id, Field::Email)?,
                        phone: sealed.open(ring, &id, Field::Phone)?,
                        email_hash: email_hash
                            .as_deref()
                            .map(<[u8; 32]>::try_from)
                            .transpose()
                            .map_err(|_| StoreError::Decode("email hash length".to_owned()))?
                            .map(EmailHash::from_bytes),
                        language: Language::parse(&language)
                            .map_err(|_| StoreError::Decode(format!("language {language:?}")))?,
                        email_verified_at: verified,
                    };
                    Ok((registration_id, contact))
                },
            )
            .collect()
    }

    /// Claims `keys` (distinct) in one statement; one answer per key, in
    /// order. A claim lasts `lease`: past it, another notifier may take the
    /// message over (the one window that can send twice).
    pub async fn claim_notifications(
        &self,
        keys: &[NotificationKey],
        lease: Duration,
    ) -> Result<Vec<Claim>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = keys.iter().map(|k| k.registration_id.to_string()).collect();
        let events: Vec<String> = keys.iter().map(|k| k.event.clone()).collect();
        let channels: Vec<String> = keys.iter().map(|k| k.channel.as_str().to_owned()).collect();
        let rows: Vec<ClaimRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(CLAIM_SQL)
                        .bind::<Array<Text>, _>(ids)
                        .bind::<Array<Text>, _>(events)
                        .bind::<Array<Text>, _>(channels)
                        .bind::<Double, _>(lease.as_secs_f64())
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        let mut found: HashMap<(String, String, String), Claim> = HashMap::new();
        for row in rows {
            let claim = match (row.claimed_attempts, row.existing_state.as_deref()) {
                (Some(attempts), _) => Claim::Claimed { attempts },
                (None, Some("sent")) => Claim::Sent,
                (None, Some("failed")) => Claim::Failed,
                (None, _) => Claim::Busy,
            };
            found.insert((row.registration_id, row.event, row.channel), claim);
        }
        keys.iter()
            .map(|k| {
                let lookup = (
                    k.registration_id.to_string(),
                    k.event.clone(),
                    k.channel.as_str().to_owned(),
                );
                found
                    .get(&lookup)
                    .copied()
                    .ok_or_else(|| StoreError::Decode("a claimed key went missing".to_owned()))
            })
            .collect()
    }

    /// Records how claimed messages ended, in one statement.
    pub async fn settle_notifications(
        &self,
        settled: &[(NotificationKey, Settlement)],
    ) -> Result<(), StoreError> {
        if settled.is_empty() {
            return Ok(());
        }
        let mut ids = Vec::with_capacity(settled.len());
        let mut events = Vec::with_capacity(settled.len());
        let mut channels = Vec::with_capacity(settled.len());
        let mut states = Vec::with_capacity(settled.len());
        let mut failures: Vec<Option<String>> = Vec::with_capacity(settled.len());
        let mut providers: Vec<Option<String>> = Vec::with_capacity(settled.len());
        for (key, settlement) in settled {
            ids.push(key.registration_id.to_string());
            events.push(key.event.clone());
            channels.push(key.channel.as_str().to_owned());
            let (state, failure, provider) = match settlement {
                Settlement::Sent { provider_id } => ("sent", None, provider_id.clone()),
                Settlement::Failed { reason } => ("failed", Some((*reason).to_owned()), None),
                Settlement::Released { reason } => ("pending", Some((*reason).to_owned()), None),
            };
            states.push(state.to_owned());
            failures.push(failure);
            providers.push(provider);
        }
        self.with_conn(|conn, _| {
            Box::pin(async move {
                diesel::sql_query(SETTLE_SQL)
                    .bind::<Array<Text>, _>(ids)
                    .bind::<Array<Text>, _>(events)
                    .bind::<Array<Text>, _>(channels)
                    .bind::<Array<Text>, _>(states)
                    .bind::<Array<Nullable<Text>>, _>(failures)
                    .bind::<Array<Nullable<Text>>, _>(providers)
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .await
    }
}
