//! Scoring, a batch at a time: what eligibility is decided on (read in one
//! query for the whole batch), and one transaction that records every
//! decision with its score, history row and downstream event.

use diesel::QueryableByName;
use diesel::sql_types::{
    Array, BigInt, Bytea, Date as SqlDate, Int4, Jsonb, Nullable, SmallInt, Text, Timestamptz,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use lonjak_domain::events::ScoreExplanation;
use lonjak_domain::{RegistrationId, RegistrationStatus, Transition};
use time::{Date, OffsetDateTime};

use crate::personal::birth_date_of;
use crate::registrations::parse_status;
use crate::transitions::{Change, apply_transitions};
use crate::{OutboxEvent, Store, StoreError};

/// What eligibility needs to know about one registration.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoringInput {
    pub id: RegistrationId,
    pub status: RegistrationStatus,
    /// The stated birth date (Dukcapil confirmed it matches the record).
    pub birth_date: Date,
    pub employment_status: String,
    pub social_aid_programme: Option<String>,
    /// The wave's closing time, if it has one yet.
    pub wave_closes_at: Option<OffsetDateTime>,
    /// Dukcapil's and Dapodik's stored answers (`verification_checks`).
    pub identity: Option<serde_json::Value>,
    pub education: Option<serde_json::Value>,
    /// Members of the same KK already selected, any wave.
    pub kk_selected: i64,
}

/// One eligibility decision to record: `verified → scored` with the score,
/// or `verified → rejected` with the reason.
#[derive(Debug, Clone)]
pub struct ScoreRecord {
    pub id: RegistrationId,
    pub transition: Transition,
    pub score: Option<ScoreExplanation>,
    pub event: OutboxEvent,
}

#[derive(QueryableByName)]
struct InputRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<SmallInt>)]
    key_version: Option<i16>,
    #[diesel(sql_type = Nullable<SqlDate>)]
    birth_date: Option<Date>,
    #[diesel(sql_type = Nullable<Bytea>)]
    birth_date_ciphertext: Option<Vec<u8>>,
    #[diesel(sql_type = Text)]
    employment_status: String,
    #[diesel(sql_type = Nullable<Text>)]
    social_aid_programme: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    closes_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    identity: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    education: Option<serde_json::Value>,
    #[diesel(sql_type = BigInt)]
    kk_selected: i64,
}

/// The latest answer of each registry; the KK count looks the family up by
/// its hash: members selected as rows (waves selected before decision
/// prefixes) or by a decision (their row stays `scored`).
const INPUTS: &str = "\
SELECT r.id, r.status, r.key_version, r.birth_date, r.birth_date_ciphertext, r.employment_status, r.social_aid_programme,
       w.closes_at,
       (SELECT c.detail FROM verification_checks c
         WHERE c.registration_id = r.id AND c.registry = 'dukcapil' AND c.outcome = 'answered'
         ORDER BY c.checked_at DESC, c.id DESC LIMIT 1) AS identity,
       (SELECT c.detail FROM verification_checks c
         WHERE c.registration_id = r.id AND c.registry = 'dapodik' AND c.outcome = 'answered'
         ORDER BY c.checked_at DESC, c.id DESC LIMIT 1) AS education,
       (SELECT count(*) FROM registrations k
         WHERE k.kk_hash = r.kk_hash
           AND (k.status = 'selected'
                OR k.status = 'scored' AND EXISTS (
                    SELECT 1 FROM selection_decisions d
                     WHERE d.registration_id = k.id AND d.wave_id = k.wave_id
                       AND d.decision = 'selected'))) AS kk_selected
  FROM registrations r JOIN waves w ON w.id = r.wave_id
 WHERE r.id = ANY($1)";

/// Sets score and parts of the registrations that were just scored.
const SET_SCORES: &str = "\
UPDATE registrations r SET score = v.score, score_parts = v.parts
  FROM unnest($1::text[], $2::int4[], $3::jsonb[]) AS v(id, score, parts)
 WHERE r.id = v.id";

impl Store {
    /// What eligibility is decided on, for the registrations that exist
    /// among `ids` (any order).
    pub async fn scoring_inputs(
        &self,
        ids: &[RegistrationId],
    ) -> Result<Vec<ScoringInput>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let rows: Vec<InputRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(INPUTS)
                        .bind::<Array<Text>, _>(keys)
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        let ring = self.data_key()?;
        rows.into_iter()
            .map(|row| {
                let birth_date = birth_date_of(
                    ring,
                    &row.id,
                    row.key_version,
                    row.birth_date,
                    row.birth_date_ciphertext.as_deref(),
                )?;
                Ok(ScoringInput {
                    id: RegistrationId::parse(&row.id)
                        .map_err(|_| StoreError::Decode("registration id".to_owned()))?,
                    status: parse_status(&row.status)?,
                    birth_date,
                    employment_status: row.employment_status,
                    social_aid_programme: row.social_aid_programme,
                    wave_closes_at: row.closes_at,
                    identity: row.identity,
                    education: row.education,
                    kk_selected: row.kk_selected,
                })
            })
            .collect()
    }

    /// Records a batch of eligibility decisions in one transaction and says,
    /// per record (same order), whether it applied: a registration that is
    /// no longer `verified` (a redelivery, another replica) is skipped.
    pub async fn record_scores(&self, records: &[ScoreRecord]) -> Result<Vec<bool>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        self.transaction(|conn, _| Box::pin(record_scores_in(conn, records)))
            .await
    }
}

async fn record_scores_in(
    conn: &mut AsyncPgConnection,
    records: &[ScoreRecord],
) -> Result<Vec<bool>, StoreError> {
    let changes: Vec<Change> = records
        .iter()
        .map(|r| Change {
            id: r.id,
            transition: r.transition,
            event: Some(r.event.clone()),
        })
        .collect();
    let applied = apply_transitions(conn, &changes).await?;
    let (mut ids, mut scores, mut parts) = (Vec::new(), Vec::new(), Vec::new());
    for (record, applied) in records.iter().zip(&applied) {
        if let (true, Some(score)) = (*applied, &record.score) {
            ids.push(record.id.to_string());
            scores.push(score.total);
            parts.push(
                serde_json::to_value(&score.parts)
                    .map_err(|e| StoreError::Decode(format!("score parts: {e}")))?,
            );
        }
    }
    if !ids.is_empty() {
        diesel::sql_query(SET_SCORES)
            .bind::<Array<Text>, _>(ids)
            .bind::<Array<Int4>, _>(scores)
            .bind::<Array<Jsonb>, _>(parts)
            .execute(conn)
            .await?;
    }
    Ok(applied)
}
