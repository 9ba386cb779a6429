//! Re-joining: a waitlisted applicant moves, once, into the next open wave,
//! keeping their verification and score (`waitlisted → scored`).

use std::sync::LazyLock;

use diesel::QueryableByName;
use diesel::sql_types::{Bytea, Int4, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use lonjak_domain::{RegistrationId, RegistrationStatus};

use crate::registrations::{HistoryRow, parse_status};
use crate::schema::status_history;
use crate::selection_sql::EFFECTIVE_STATUS;
use crate::{Store, StoreError};

/// What a re-join request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejoin {
    /// Moved from wave `from` into wave `to`, scored there.
    Rejoined { from: u32, to: u32 },
    /// No such registration.
    NotFound,
    /// Only a waitlisted applicant may re-join; this one is in that state.
    NotWaitlisted(RegistrationStatus),
    /// They re-joined once already.
    AlreadyRejoined,
    /// No wave after theirs is open now.
    NoOpenWave,
    /// They registered in that wave themselves.
    AlreadyInWave(u32),
    /// Their personal data was erased (retention): they register anew.
    Erased,
}

/// The applicant's state as selection left it (a waitlisted row stays
/// `scored` in a selected wave), its row locked.
static LOCK: LazyLock<String> = LazyLock::new(|| format!("{} FOR UPDATE OF r", *READ));

/// The same, read only (the support desk's "may they re-join?").
static READ: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {EFFECTIVE_STATUS} AS status, r.wave_id, r.rejoined_from, r.nik_hash,
                (r.erased_at IS NOT NULL) AS erased
           FROM registrations r JOIN waves w ON w.id = r.wave_id
          WHERE r.id = $1"
    )
});

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Int4)]
    wave_id: i32,
    #[diesel(sql_type = Nullable<Int4>)]
    rejoined_from: Option<i32>,
    #[diesel(sql_type = Bytea)]
    nik_hash: Vec<u8>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    erased: bool,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Int4)]
    id: i32,
}

impl Store {
    /// Moves a waitlisted applicant into the next open wave, once, in one
    /// transaction (the row is locked, so two requests at once move it once).
    pub async fn rejoin_next_wave(&self, id: &RegistrationId) -> Result<Rejoin, StoreError> {
        let key = id.to_string();
        self.transaction(|conn, _| Box::pin(async move { rejoin_in(conn, &key).await }))
            .await
    }

    /// What [`Store::rejoin_next_wave`] would do now, changing nothing:
    /// `Rejoined { from, to }` means they may re-join wave `to`.
    pub async fn rejoin_eligibility(&self, id: &RegistrationId) -> Result<Rejoin, StoreError> {
        let key = id.to_string();
        self.with_conn(|conn, _| {
            Box::pin(async move {
                Ok(match plan(conn, &key, READ.as_str()).await? {
                    Plan::Refused(refused) => refused,
                    Plan::Move { from, to, .. } => Rejoin::Rejoined {
                        from: to_u32(from),
                        to: to_u32(to),
                    },
                })
            })
        })
        .await
    }
}

/// What a re-join would do: the one set of rules both the move and the
/// support desk's question go through.
enum Plan {
    Refused(Rejoin),
    Move {
        from: i32,
        to: i32,
        transition: lonjak_domain::Transition,
    },
}

fn to_u32(wave: i32) -> u32 {
    u32::try_from(wave).unwrap_or_default()
}

async fn rejoin_in(conn: &mut AsyncPgConnection, key: &str) -> Result<Rejoin, StoreError> {
    let (from, to, transition) = match plan(conn, key, LOCK.as_str()).await? {
        Plan::Refused(refused) => return Ok(refused),
        Plan::Move {
            from,
            to,
            transition,
        } => (from, to, transition),
    };
    diesel::sql_query(
        "UPDATE registrations
            SET wave_id = $2, status = $3, rank = NULL, decided_at = NULL,
                rejoined_from = wave_id, updated_at = now()
          WHERE id = $1",
    )
    .bind::<Text, _>(key)
    .bind::<Int4, _>(to)
    .bind::<Text, _>(transition.to().as_str())
    .execute(conn)
    .await?;
    diesel::insert_into(status_history::table)
        .values(HistoryRow::of(key, transition, None))
        .execute(conn)
        .await?;
    Ok(Rejoin::Rejoined {
        from: to_u32(from),
        to: to_u32(to),
    })
}

async fn plan(conn: &mut AsyncPgConnection, key: &str, read: &str) -> Result<Plan, StoreError> {
    let refused = |r| Ok(Plan::Refused(r));
    let rows: Vec<Row> = diesel::sql_query(read)
        .bind::<Text, _>(key)
        .load(conn)
        .await?;
    let Some(row) = rows.into_iter().next() else {
        return refused(Rejoin::NotFound);
    };
    let status = parse_status(&row.status)?;
    if row.erased {
        return refused(Rejoin::Erased);
    }
    if row.rejoined_from.is_some() {
        return refused(Rejoin::AlreadyRejoined);
    }
    let Ok(transition) = status.rejoin() else {
        return refused(Rejoin::NotWaitlisted(status));
    };
    let next: Vec<Id> = diesel::sql_query(
        "SELECT id FROM waves
          WHERE id > $1 AND state = 'open' AND opens_at <= now()
            AND (closes_at IS NULL OR closes_at > now())
          ORDER BY id LIMIT 1",
    )
    .bind::<Int4, _>(row.wave_id)
    .load(conn)
    .await?;
    let Some(Id { id: to }) = next.into_iter().next() else {
        return refused(Rejoin::NoOpenWave);
    };
    let taken: Vec<Id> = diesel::sql_query(
        "SELECT wave_id AS id FROM registrations WHERE nik_hash = $1 AND wave_id = $2",
    )
    .bind::<Bytea, _>(&row.nik_hash)
    .bind::<Int4, _>(to)
    .load(conn)
    .await?;
    if !taken.is_empty() {
        return refused(Rejoin::AlreadyInWave(to_u32(to)));
    }
    Ok(Plan::Move {
        from: row.wave_id,
        to,
        transition,
    })
}
