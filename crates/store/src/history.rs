//! A registration's history for the support desk and operators: every
//! recorded change of state, in order, without personal data.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use lonjak_domain::{RegistrationId, RegistrationStatus, RejectionReason};
use time::OffsetDateTime;

use crate::registrations::{parse_reason, parse_status};
use crate::schema::{registrations, status_history};
use crate::{Store, StoreError};

/// One recorded change of state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// `None` for the first entry (received into the queue).
    pub from: Option<RegistrationStatus>,
    pub to: RegistrationStatus,
    pub reason: Option<RejectionReason>,
    pub at: OffsetDateTime,
}

/// Where a registration is filed and what happened to it. A selection's
/// decision is recorded in the wave's decisions, and shown here as the
/// change it stands for (selected or rejected; a waitlisting is not listed:
/// `Store::registration_status` gives the state as the applicant sees it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationHistory {
    pub wave: u32,
    pub rejoined_from: Option<u32>,
    pub entries: Vec<HistoryEntry>,
}

type Row = (Option<String>, String, Option<String>, OffsetDateTime);

/// Selection's decision for a registration it left `scored` (selected or
/// rejected; crate::selection), as the change it stands for, at the wave's
/// selection time.
const DECIDED: &str = "\
SELECT d.decision AS to, d.reason, w.selected_at AS at
  FROM registrations r JOIN waves w ON w.id = r.wave_id
  JOIN selection_decisions d ON d.registration_id = r.id AND d.wave_id = r.wave_id
 WHERE r.id = $1 AND r.status = 'scored' AND w.state IN ('selected', 'announced')
   AND d.decision <> 'waitlisted'";

#[derive(QueryableByName)]
struct Decided {
    #[diesel(sql_type = diesel::sql_types::Text)]
    to: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    reason: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    at: OffsetDateTime,
}
/// The registration's wave and the wave it re-joined from.
type Filed = (i32, Option<i32>);

impl Store {
    /// The history of `id`, oldest first, or `None` if the store has no row
    /// for it.
    pub async fn registration_history(
        &self,
        id: &RegistrationId,
    ) -> Result<Option<RegistrationHistory>, StoreError> {
        let key = id.to_string();
        let found: Option<(Filed, Vec<Row>)> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    let filed: Option<Filed> = registrations::table
                        .find(&key)
                        .select((registrations::wave_id, registrations::rejoined_from))
                        .first(conn)
                        .await
                        .optional()?;
                    let Some(filed) = filed else {
                        return Ok(None);
                    };
                    let rows: Vec<Row> = status_history::table
                        .filter(status_history::registration_id.eq(&key))
                        .order((status_history::at.asc(), status_history::id.asc()))
                        .select((
                            status_history::from_status,
                            status_history::to_status,
                            status_history::reason,
                            status_history::at,
                        ))
                        .load(conn)
                        .await?;
                    let mut rows = rows;
                    rows.extend(
                        diesel::sql_query(DECIDED)
                            .bind::<diesel::sql_types::Text, _>(&key)
                            .load::<Decided>(conn)
                            .await?
                            .into_iter()
                            .map(|d| (Some("scored".to_owned()), d.to, d.reason, d.at)),
                    );
                    Ok(Some((filed, rows)))
                })
            })
            .await?;
        let Some(((wave, rejoined_from), rows)) = found else {
            return Ok(None);
        };
        let to_u32 = |w: i32| u32::try_from(w).map_err(|_| StoreError::Decode("wave".to_owned()));
        let entries = rows
            .into_iter()
            .map(|(from, to, reason, at)| {
                Ok(HistoryEntry {
                    from: from.as_deref().map(parse_status).transpose()?,
                    to: parse_status(&to)?,
                    reason: reason.as_deref().map(parse_reason).transpose()?,
                    at,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(RegistrationHistory {
            wave: to_u32(wave)?,
            rejoined_from: rejoined_from.map(to_u32).transpose()?,
            entries,
        }))
    }
}
