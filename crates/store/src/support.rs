//! The support desk's look-up: a person's registrations in every wave,
//! found through the keyed hash of their NIK, email address or phone number
//! (the value itself is never stored or compared), with what happened to
//! each. Personal fields come back in clear for the caller to mask; the
//! registries' answers come back as outcomes only.

use diesel::prelude::*;
use diesel::sql_types::{Bytea, Text};
use diesel_async::RunQueryDsl;
use lonjak_domain::verification::{EducationCheck, IdentityCheck, WelfareCheck};
use lonjak_domain::{
    EmailHash, NikHash, PhoneHash, RegistrationId, RegistrationStatus, RejectionReason,
    decide_on_identity,
};
use time::{Date, OffsetDateTime};

use crate::crypto::Field;
use crate::personal::StoredPersonal;
use crate::schema::{notifications, registrations, verification_checks, waves};
use crate::{HistoryEntry, PhotoView, Rejoin, StatusView, Store, StoreError};

/// What a look-up searches by: a keyed hash, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupKey {
    Nik(NikHash),
    Email(EmailHash),
    Phone(PhoneHash),
}

impl LookupKey {
    /// `nik`, `email` or `phone`, as the access log records it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Nik(_) => "nik",
            Self::Email(_) => "email",
            Self::Phone(_) => "phone",
        }
    }

    fn sql(&self) -> (&'static str, &[u8; 32]) {
        match self {
            Self::Nik(h) => (
                "SELECT id FROM registrations WHERE nik_hash = $1 ORDER BY wave_id, id",
                h.as_bytes(),
            ),
            Self::Email(h) => (
                "SELECT id FROM registrations WHERE email_hash = $1 ORDER BY wave_id, id",
                h.as_bytes(),
            ),
            Self::Phone(h) => (
                "SELECT id FROM registrations WHERE phone_hash = $1 ORDER BY wave_id, id",
                h.as_bytes(),
            ),
        }
    }
}

/// A registration's personal fields in clear. `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct SupportPersonal {
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub birth_date: Date,
    pub nik: String,
    pub kk_number: String,
}

impl std::fmt::Debug for SupportPersonal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SupportPersonal(<redacted>)")
    }
}

/// One registry's verdict, without its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationView {
    /// `dukcapil`, `dapodik` or `dtks`.
    pub registry: String,
    /// `identity_confirmed`, `identity_not_found`, `identity_mismatch`,
    /// `ineligible_occupation`, `enrolled_in_education`, `not_enrolled`,
    /// `receives_social_aid`, `no_social_aid`, `not_checked` or `answered`.
    pub outcome: &'static str,
    pub checked_at: OffsetDateTime,
}

/// One message the notifier claimed, and how its delivery stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationView {
    /// The news (`verified`, `rejected.under_18`, `email_verification.…`).
    pub event: String,
    pub channel: String,
    /// `pending`, `claimed`, `sent` or `failed`.
    pub state: String,
    pub attempts: i32,
    pub failure: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
}

/// Everything the desk shows of one registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportRecord {
    /// State as the applicant sees it.
    pub status: StatusView,
    pub wave: u32,
    pub wave_state: String,
    pub rejoined_from: Option<u32>,
    pub submitted_at: OffsetDateTime,
    pub history: Vec<HistoryEntry>,
    pub verifications: Vec<VerificationView>,
    pub notifications: Vec<NotificationView>,
    pub photos: Vec<PhotoView>,
    /// For a waitlisted applicant: what a re-join would do now.
    pub rejoin: Option<Rejoin>,
    /// `None` when this store holds no data key.
    pub personal: Option<SupportPersonal>,
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Text)]
    id: String,
}

type Filed = (String, OffsetDateTime, StoredPersonal);
type CheckRow = (String, String, serde_json::Value, OffsetDateTime);
type NoticeRow = (
    String,
    String,
    String,
    i32,
    Option<String>,
    OffsetDateTime,
    Option<OffsetDateTime>,
);

impl Store {
    /// The registrations `key` finds, every wave, oldest wave first.
    pub async fn support_lookup(&self, key: &LookupKey) -> Result<Vec<SupportRecord>, StoreError> {
        let (sql, hash) = key.sql();
        let found: Vec<Found> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(sql)
                        .bind::<Bytea, _>(hash.as_slice())
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        let mut records = Vec::with_capacity(found.len());
        for Found { id } in found {
            let id = RegistrationId::parse(&id)
                .map_err(|_| StoreError::Decode(format!("registration id {id:?}")))?;
            if let Some(record) = self.support_record(&id).await? {
                records.push(record);
            }
        }
        Ok(records)
    }

    /// One registration as the desk shows it, or `None` if it has no row.
    pub async fn support_record(
        &self,
        id: &RegistrationId,
    ) -> Result<Option<SupportRecord>, StoreError> {
        let (Some(status), Some(history)) = (
            self.registration_status(id).await?,
            self.registration_history(id).await?,
        ) else {
            return Ok(None);
        };
        let key = id.to_string();
        let (filed, checks, notices) = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    let filed: Filed = registrations::table
                        .inner_join(waves::table)
                        .filter(registrations::id.eq(&key))
                        .select((
                            waves::state,
                            registrations::submitted_at,
                            StoredPersonal::as_select(),
                        ))
                        .first(conn)
                        .await?;
                    let checks: Vec<CheckRow> = verification_checks::table
                        .filter(verification_checks::registration_id.eq(&key))
                        .order((
                            verification_checks::checked_at.asc(),
                            verification_checks::id.asc(),
                        ))
                        .select((
                            verification_checks::registry,
                            verification_checks::outcome,
                            verification_checks::detail,
                            verification_checks::checked_at,
                        ))
                        .load(conn)
                        .await?;
                    let notices: Vec<NoticeRow> = notifications::table
                        .filter(notifications::registration_id.eq(&key))
                        .order((notifications::created_at.asc(), notifications::event.asc()))
                        .select((
                            notifications::event,
                            notifications::channel,
                            notifications::state,
                            notifications::attempts,
                            notifications::failure,
                            notifications::created_at,
                            notifications::sent_at,
                        ))
                        .load(conn)
                        .await?;
                    Ok((filed, checks, notices))
                })
            })
            .await?;
        let (wave_state, submitted_at, stored) = filed;
        let personal = match self.data_key() {
            Ok(ring) => Some(open_personal(&stored, ring, &id.to_string())?),
            Err(_) => None,
        };
        let rejoin = if status.status == RegistrationStatus::Waitlisted {
            Some(self.rejoin_eligibility(id).await?)
        } else {
            None
        };
        Ok(Some(SupportRecord {
            wave: history.wave,
            rejoined_from: history.rejoined_from,
            history: history.entries,
            status,
            wave_state,
            submitted_at,
            verifications: checks
                .into_iter()
                .map(|(registry, outcome, detail, checked_at)| VerificationView {
                    outcome: verdict(&registry, &outcome, detail),
                    registry,
                    checked_at,
                })
                .collect(),
            notifications: notices
                .into_iter()
                .map(
                    |(event, channel, state, attempts, failure, created_at, sent_at)| {
                        NotificationView {
                            event,
                            channel,
                            state,
                            attempts,
                            failure,
                            created_at,
                            sent_at,
                        }
                    },
                )
                .collect(),
            photos: self.photo_states(id).await?,
            rejoin,
            personal,
        }))
    }
}

fn open_personal(
    stored: &StoredPersonal,
    ring: &crate::KeyRing,
    id: &str,
) -> Result<SupportPersonal, StoreError> {
    Ok(SupportPersonal {
        full_name: stored.open(ring, id, Field::FullName)?,
        email: stored.open(ring, id, Field::Email)?,
        phone: stored.open(ring, id, Field::Phone)?,
        birth_date: stored.birth_date(ring, id)?,
        nik: stored.open(ring, id, Field::Nik)?,
        kk_number: stored.open(ring, id, Field::KkNumber)?,
    })
}

/// A registry's answer reduced to its verdict: the desk never sees the
/// answer itself (match flags, occupation, programme).
fn verdict(registry: &str, outcome: &str, detail: serde_json::Value) -> &'static str {
    if outcome == "skipped" {
        return "not_checked";
    }
    match registry {
        "dukcapil" => match serde_json::from_value::<IdentityCheck>(detail) {
            Ok(answer) => match decide_on_identity(&answer) {
                None => "identity_confirmed",
                Some(RejectionReason::IdentityNotFound) => "identity_not_found",
                Some(RejectionReason::IdentityMismatch) => "identity_mismatch",
                Some(_) => "ineligible_occupation",
            },
            Err(_) => "answered",
        },
        "dapodik" => match serde_json::from_value::<EducationCheck>(detail) {
            Ok(answer) if answer.enrolled => "enrolled_in_education",
            Ok(_) => "not_enrolled",
            Err(_) => "answered",
        },
        "dtks" => match serde_json::from_value::<WelfareCheck>(detail) {
            Ok(answer) if answer.recipient => "receives_social_aid",
            Ok(_) => "no_social_aid",
            Err(_) => "answered",
        },
        _ => "answered",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_answer_becomes_its_verdict_and_nothing_more() {
        let identity =
            serde_json::json!({"found": true, "name_match": false, "birth_date_match": true});
        assert_eq!(
            verdict("dukcapil", "answered", identity),
            "identity_mismatch"
        );
        let confirmed = serde_json::json!({"found": true, "name_match": true, "birth_date_match": true, "occupation": "unemployed"});
        assert_eq!(
            verdict("dukcapil", "answered", confirmed),
            "identity_confirmed"
        );
        let unknown =
            serde_json::json!({"found": false, "name_match": false, "birth_date_match": false});
        assert_eq!(
            verdict("dukcapil", "answered", unknown),
            "identity_not_found"
        );
        let aid = serde_json::json!({"recipient": true, "programme": "pkh"});
        assert_eq!(verdict("dtks", "answered", aid), "receives_social_aid");
        let school = serde_json::json!({"enrolled": false});
        assert_eq!(verdict("dapodik", "answered", school), "not_enrolled");
        assert_eq!(
            verdict("dtks", "skipped", serde_json::json!({})),
            "not_checked"
        );
        assert_eq!(
            verdict("dapodik", "answered", serde_json::json!(7)),
            "answered"
        );
    }
}
