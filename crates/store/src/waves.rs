//! Waves: creation, their life cycle ([`WaveState`]), and which are open.

use std::str::FromStr;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use lonjak_domain::{Wave, WaveState};
use time::OffsetDateTime;

use crate::error::is_unique_violation;
use crate::registrations::wave_db_id;
use crate::schema::waves;
use crate::{Store, StoreError};

/// A wave as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveRecord {
    pub number: Wave,
    pub name: String,
    pub quota: u32,
    pub opens_at: OffsetDateTime,
    pub closes_at: Option<OffsetDateTime>,
    pub state: WaveState,
    pub email_verification_required: bool,
    /// Both photos accepted before selection.
    pub photos_required: bool,
    pub selected_at: Option<OffsetDateTime>,
    /// Decisions up to this rank have been announced.
    pub announced_rank: u32,
}

/// What `lonjak-ops wave create` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWave {
    pub number: Wave,
    pub quota: u32,
    /// `None`: from creation on (still only once opened).
    pub opens_at: Option<OffsetDateTime>,
    /// `None`: until an operator closes it.
    pub closes_at: Option<OffsetDateTime>,
    pub email_verification_required: bool,
    /// Both photos (`ktp`, `selfie`) accepted before selection.
    pub photos_required: bool,
}

/// Why a wave could not move.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaveChangeError {
    #[error("wave {0} does not exist")]
    NotFound(Wave),
    #[error("wave {wave} already exists")]
    Exists { wave: Wave },
    #[error(transparent)]
    Transition(#[from] lonjak_domain::InvalidWaveTransition),
    /// Selection waits until every registration of the wave is scored or
    /// rejected: one still in the pipeline would miss the ranking.
    #[error(
        "wave {wave} still has {count} registration(s) on their way to scoring; \
         select once the pipeline has drained"
    )]
    InFlight { wave: Wave, count: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

type WaveRow = (
    i32,
    String,
    i32,
    OffsetDateTime,
    Option<OffsetDateTime>,
    String,
    bool,
    bool,
    Option<OffsetDateTime>,
    i32,
);

const COLUMNS: (
    waves::id,
    waves::name,
    waves::quota,
    waves::opens_at,
    waves::closes_at,
    waves::state,
    waves::email_verification_required,
    waves::photos_required,
    waves::selected_at,
    waves::announced_rank,
) = (
    waves::id,
    waves::name,
    waves::quota,
    waves::opens_at,
    waves::closes_at,
    waves::state,
    waves::email_verification_required,
    waves::photos_required,
    waves::selected_at,
    waves::announced_rank,
);

fn decode(row: WaveRow) -> Result<WaveRecord, StoreError> {
    let (id, name, quota, opens_at, closes_at, state, email, photos, selected_at, announced) = row;
    let bad = |what: &str| StoreError::Decode(format!("wave {id}: {what}"));
    Ok(WaveRecord {
        number: u32::try_from(id)
            .ok()
            .and_then(|n| Wave::new(n).ok())
            .ok_or_else(|| bad("number"))?,
        name,
        quota: u32::try_from(quota).map_err(|_| bad("quota"))?,
        opens_at,
        closes_at,
        state: WaveState::from_str(&state).map_err(|_| bad("state"))?,
        email_verification_required: email,
        photos_required: photos,
        selected_at,
        announced_rank: u32::try_from(announced).map_err(|_| bad("announced rank"))?,
    })
}

impl Store {
    /// Creates a wave, `planned`: nobody can register for it until it is
    /// opened.
    pub async fn create_wave(&self, new: &NewWave) -> Result<WaveRecord, WaveChangeError> {
        let id = wave_db_id(new.number)?;
        let quota = i32::try_from(new.quota)
            .map_err(|_| StoreError::Config("quota exceeds the stored range".to_owned()))?;
        let new = new.clone();
        let inserted = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    let now = OffsetDateTime::now_utc();
                    Ok(diesel::insert_into(waves::table)
                        .values((
                            waves::id.eq(id),
                            waves::name.eq(format!("wave {id}")),
                            waves::quota.eq(quota),
                            waves::opens_at.eq(new.opens_at.unwrap_or(now)),
                            waves::closes_at.eq(new.closes_at),
                            waves::state.eq(WaveState::Planned.as_str()),
                            waves::email_verification_required.eq(new.email_verification_required),
                            waves::photos_required.eq(new.photos_required),
                        ))
                        .returning(COLUMNS)
                        .get_result::<WaveRow>(conn)
                        .await?)
                })
            })
            .await;
        match inserted {
            Ok(row) => Ok(decode(row)?),
            Err(StoreError::Query(e)) if is_unique_violation(&e) => {
                Err(WaveChangeError::Exists { wave: new.number })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Moves a wave one step ([`WaveState::check_move`]), guarded on its
    /// current state so that two operators cannot both move it. Closing also
    /// ends its registration period now, if it was set to end later.
    pub async fn move_wave(
        &self,
        wave: Wave,
        to: WaveState,
    ) -> Result<WaveRecord, WaveChangeError> {
        let current = self
            .wave(wave)
            .await?
            .ok_or(WaveChangeError::NotFound(wave))?;
        current.state.check_move(to)?;
        let id = wave_db_id(wave)?;
        let from = current.state.as_str();
        let moved: Option<WaveRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    let now = OffsetDateTime::now_utc();
                    let target = waves::table
                        .filter(waves::id.eq(id))
                        .filter(waves::state.eq(from));
                    let query = diesel::update(target);
                    let row = if to == WaveState::Closed {
                        let closes = current.closes_at.map_or(now, |at| at.min(now));
                        query
                            .set((waves::state.eq(to.as_str()), waves::closes_at.eq(closes)))
                            .returning(COLUMNS)
                            .get_result(conn)
                            .await
                    } else {
                        query
                            .set(waves::state.eq(to.as_str()))
                            .returning(COLUMNS)
                            .get_result(conn)
                            .await
                    };
                    Ok(row.optional()?)
                })
            })
            .await?;
        match moved {
            Some(row) => Ok(decode(row)?),
            // Someone else moved it in between.
            None => Err(StoreError::Conflict.into()),
        }
    }

    /// One wave, if it exists.
    pub async fn wave(&self, wave: Wave) -> Result<Option<WaveRecord>, StoreError> {
        let id = wave_db_id(wave)?;
        let row: Option<WaveRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(waves::table
                        .find(id)
                        .select(COLUMNS)
                        .first(conn)
                        .await
                        .optional()?)
                })
            })
            .await?;
        row.map(decode).transpose()
    }

    /// Every wave, by number.
    pub async fn waves(&self) -> Result<Vec<WaveRecord>, StoreError> {
        let rows: Vec<WaveRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(waves::table
                        .order(waves::id.asc())
                        .select(COLUMNS)
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        rows.into_iter().map(decode).collect()
    }

    /// The waves taking registrations now: open, and within their period.
    pub async fn open_waves(&self) -> Result<Vec<Wave>, StoreError> {
        let ids: Vec<i32> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    let now = OffsetDateTime::now_utc();
                    Ok(waves::table
                        .filter(waves::state.eq(WaveState::Open.as_str()))
                        .filter(waves::opens_at.le(now))
                        .filter(waves::closes_at.is_null().or(waves::closes_at.gt(now)))
                        .order(waves::id.asc())
                        .select(waves::id)
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        Ok(ids
            .into_iter()
            .filter_map(|id| u32::try_from(id).ok().and_then(|n| Wave::new(n).ok()))
            .collect())
    }
}
