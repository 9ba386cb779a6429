//! Verification outcomes, a batch at a time: what is already stored for a
//! batch's registrations, and one transaction that writes every decided
//! registration with its history, registry checks and downstream event.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use lonjak_domain::{RegistrationId, RegistrationStatus, SubmissionHash, Transition};
use time::{Date, OffsetDateTime};

use crate::outbox::insert_events;
use crate::personal::{PersonalFields, SealedFields, seal_fields};
use crate::registrations::{HistoryRow, insert_wave, parse_reason, parse_status, wave_db_id};
use crate::schema::{registrations, status_history, verification_checks};
use crate::{Recorded, Store, StoreError, StoredState, Verification};

/// A registration row as the batch writes it.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = registrations, treat_none_as_null = true)]
struct RegistrationRow<'a> {
    id: &'a str,
    wave_id: i32,
    nik_hash: &'a [u8],
    kk_hash: &'a [u8],
    email_hash: &'a [u8],
    phone_hash: &'a [u8],
    key_version: i16,
    nik_ciphertext: &'a [u8],
    kk_ciphertext: &'a [u8],
    full_name_ciphertext: &'a [u8],
    email_ciphertext: &'a [u8],
    phone_ciphertext: &'a [u8],
    birth_date_ciphertext: &'a [u8],
    // Written as NULL: a reopened row from before versioned keys loses its
    // clear fields too.
    full_name: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    birth_date: Option<Date>,
    employment_status: &'a str,
    in_education: bool,
    language: &'a str,
    status: &'a str,
    reason: Option<&'a str>,
    social_aid_programme: Option<&'a str>,
    submitted_at: OffsetDateTime,
    submission_hash: Option<&'a [u8]>,
}

type StateRow = (String, String, Option<String>, Option<Vec<u8>>);

/// What the batch computes before its transaction: ids as stored, and the
/// personal fields sealed under the current data key (encryption needs no
/// database time).
struct Sealed {
    id: String,
    wave_id: i32,
    fields: SealedFields,
}

impl Sealed {
    fn row<'a>(&'a self, item: &'a Verification) -> RegistrationRow<'a> {
        let reg = &item.registration;
        RegistrationRow {
            id: &self.id,
            wave_id: self.wave_id,
            nik_hash: &reg.nik_hash.as_bytes()[..],
            kk_hash: &reg.kk_hash.as_bytes()[..],
            email_hash: &reg.email_hash.as_bytes()[..],
            phone_hash: &reg.phone_hash.as_bytes()[..],
            key_version: self.fields.version,
            nik_ciphertext: &self.fields.nik,
            kk_ciphertext: &self.fields.kk,
            full_name_ciphertext: &self.fields.full_name,
            email_ciphertext: &self.fields.email,
            phone_ciphertext: &self.fields.phone,
            birth_date_ciphertext: &self.fields.birth_date,
            full_name: None,
            email: None,
            phone: None,
            birth_date: None,
            employment_status: &reg.employment_status,
            in_education: reg.in_education,
            language: reg.language.as_str(),
            status: item.decision.to().as_str(),
            reason: item.decision.reason().map(|r| r.as_str()),
            social_aid_programme: item.social_aid_programme.as_deref(),
            submitted_at: reg.submitted_at,
            submission_hash: Some(&reg.submission_hash.as_bytes()[..]),
        }
    }
}

impl Store {
    /// What is stored for these registrations (absent ids have no row).
    pub async fn stored_states(
        &self,
        ids: &[RegistrationId],
    ) -> Result<HashMap<RegistrationId, StoredState>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let keys: Vec<String> = ids.iter().map(RegistrationId::to_string).collect();
        let rows: Vec<StateRow> = self
            .with_conn(|conn, _| Box::pin(async move { select_states(conn, keys, false).await }))
            .await?;
        rows.into_iter().map(parse_state).collect()
    }

    /// Records a batch of decided verifications in one transaction and says,
    /// per item (same order), what it did. A registration already recorded
    /// is left alone, unless it was rejected because Dukcapil did not confirm
    /// its identity and this submission states something else: then this
    /// submission reopens it (`rejected → verifying → …`). Two items for one
    /// registration in one batch are the caller's to resolve; the second is
    /// reported [`Recorded::AlreadyThere`].
    #[tracing::instrument(skip_all, fields(batch.size = batch.len()))]
    pub async fn record_verifications(
        &self,
        batch: &[Verification],
    ) -> Result<Vec<Recorded>, StoreError> {
        for item in batch {
            if item.decision.from() != RegistrationStatus::Verifying {
                return Err(StoreError::Config(format!(
                    "a verification decides from verifying, not from {}",
                    item.decision.from()
                )));
            }
        }
        let sealed = self.seal(batch)?;
        let wave_ids: HashSet<i32> = sealed.iter().map(|s| s.wave_id).collect();
        self.transaction(|conn, _| {
            Box::pin(async move {
                for wave_id in wave_ids {
                    insert_wave(conn, wave_id).await?;
                }
                write_batch(conn, batch, &sealed).await
            })
        })
        .await
    }

    fn seal(&self, batch: &[Verification]) -> Result<Vec<Sealed>, StoreError> {
        let key = self.data_key()?;
        batch
            .iter()
            .map(|item| {
                let reg = &item.registration;
                let id = reg.id.to_string();
                Ok(Sealed {
                    wave_id: wave_db_id(reg.wave)?,
                    fields: seal_fields(key, &id, &PersonalFields::of(reg))?,
                    id,
                })
            })
            .collect()
    }
}

/// The batch's writes, inside its transaction.
async fn write_batch(
    conn: &mut AsyncPgConnection,
    batch: &[Verification],
    sealed: &[Sealed],
) -> Result<Vec<Recorded>, StoreError> {
    let ids: Vec<String> = sealed.iter().map(|s| s.id.clone()).collect();
    // Lock what exists, so a reopen decided here is still true at the update.
    let existing: HashMap<String, StoredState> = select_states(conn, ids, true)
        .await?
        .into_iter()
        .map(|row| {
            let id = row.0.clone();
            parse_state(row).map(|(_, state)| (id, state))
        })
        .collect::<Result<_, StoreError>>()?;

    let mut plan: Vec<Option<Recorded>> = Vec::with_capacity(batch.len());
    let mut reopens: Vec<(usize, Transition)> = Vec::new();
    let mut fresh: Vec<RegistrationRow<'_>> = Vec::new();
    let mut fresh_index: Vec<usize> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, (sealed_item, item)) in sealed.iter().zip(batch).enumerate() {
        let id = sealed_item.id.as_str();
        if !seen.insert(id) {
            plan.push(Some(Recorded::AlreadyThere));
            continue;
        }
        match existing.get(id) {
            None => {
                fresh.push(sealed_item.row(item));
                fresh_index.push(i);
                plan.push(None);
            }
            Some(state) if state.is_reopened_by(&item.registration.submission_hash) => {
                let reopen = state
                    .status
                    .reopen(state.reason)
                    .map_err(|e| StoreError::Decode(e.to_string()))?;
                reopens.push((i, reopen));
                plan.push(Some(Recorded::Reopened));
            }
            Some(_) => plan.push(Some(Recorded::AlreadyThere)),
        }
    }

    // Rows another submission inserted since the lock was taken (the lock
    // cannot cover rows that did not exist) are skipped, not overwritten.
    let inserted: HashSet<String> = if fresh.is_empty() {
        HashSet::new()
    } else {
        diesel::insert_into(registrations::table)
            .values(&fresh)
            .on_conflict_do_nothing()
            .returning(registrations::id)
            .get_results::<String>(conn)
            .await?
            .into_iter()
            .collect()
    };
    for i in fresh_index {
        plan[i] = Some(if inserted.contains(&sealed[i].id) {
            Recorded::Inserted
        } else {
            Recorded::AlreadyThere
        });
    }
    for (i, _) in &reopens {
        let (sealed_item, item) = (&sealed[*i], &batch[*i]);
        diesel::update(registrations::table.find(&sealed_item.id))
            .set((
                sealed_item.row(item),
                registrations::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
    }

    let recorded: Vec<Recorded> = plan
        .into_iter()
        .map(|p| p.unwrap_or(Recorded::AlreadyThere))
        .collect();
    let reopen_of: HashMap<usize, Transition> = reopens.into_iter().collect();
    let mut history = Vec::new();
    let mut checks = Vec::new();
    let mut events = Vec::new();
    for (i, (sealed_item, item)) in sealed.iter().zip(batch).enumerate() {
        let id = sealed_item.id.as_str();
        match recorded[i] {
            Recorded::Inserted => {
                let queued = RegistrationStatus::Queued
                    .transition(RegistrationStatus::Verifying, None)
                    .map_err(|e| StoreError::Decode(e.to_string()))?;
                history.push(HistoryRow::queued(id, item.registration.submitted_at));
                history.push(HistoryRow::of(id, queued, Some(item.started_at)));
            }
            Recorded::Reopened => {
                if let Some(reopen) = reopen_of.get(&i) {
                    history.push(HistoryRow::of(id, *reopen, Some(item.started_at)));
                }
            }
            Recorded::AlreadyThere => continue,
        }
        history.push(HistoryRow::of(id, item.decision, None));
        for check in &item.checks {
            checks.push((
                verification_checks::registration_id.eq(id),
                verification_checks::registry.eq(check.registry.as_str()),
                verification_checks::outcome.eq(check.outcome.as_str()),
                verification_checks::detail.eq(&check.detail),
            ));
        }
        events.push((id, &item.event));
    }
    if !history.is_empty() {
        diesel::insert_into(status_history::table)
            .values(&history)
            .execute(conn)
            .await?;
    }
    if !checks.is_empty() {
        diesel::insert_into(verification_checks::table)
            .values(checks)
            .execute(conn)
            .await?;
    }
    insert_events(conn, &events).await?;
    Ok(recorded)
}

async fn select_states(
    conn: &mut AsyncPgConnection,
    ids: Vec<String>,
    lock: bool,
) -> Result<Vec<StateRow>, StoreError> {
    let query = registrations::table
        .filter(registrations::id.eq_any(ids))
        .select((
            registrations::id,
            registrations::status,
            registrations::reason,
            registrations::submission_hash,
        ));
    let rows = if lock {
        query.for_update().load(conn).await?
    } else {
        query.load(conn).await?
    };
    Ok(rows)
}

fn parse_state(
    (id, status, reason, hash): StateRow,
) -> Result<(RegistrationId, StoredState), StoreError> {
    let id = RegistrationId::parse(&id)
        .map_err(|_| StoreError::Decode(format!("registration id {id:?}")))?;
    let submission_hash = hash
        .map(|bytes| {
            <[u8; 32]>::try_from(bytes.as_slice())
                .map(SubmissionHash::from_bytes)
                .map_err(|_| StoreError::Decode("submission hash length".to_owned()))
        })
        .transpose()?;
    Ok((
        id,
        StoredState {
            status: parse_status(&status)?,
            reason: reason.as_deref().map(parse_reason).transpose()?,
            submission_hash,
        },
    ))
}
