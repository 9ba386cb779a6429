#![doc = include_str!("../README.md")]

mod announce;
mod config;
mod crypto;
mod drain;
mod email_verification;
mod error;
mod explain;
mod history;
mod keyring;
mod migrate;
mod model;
mod notifications;
mod outbox;
mod personal;
mod photos;
mod ranking;
mod registrations;
mod rejoin;
mod rotate;
mod schema;
mod scoring;
mod selection;
mod selection_sql;
mod settings;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;
mod transitions;
mod verifications;
mod waitroom;
mod waitroom_tick;
mod waves;

pub use announce::Decision;
pub use config::StoreConfig;
pub use crypto::{DataKey, KeyRing};
pub use diesel_async::AsyncPgConnection;
pub use drain::{DrainRate, DrainSampling, fold as fold_drain_rate};
pub use email_verification::{EmailFunnel, Resend, email_verified_among};
pub use error::StoreError;
pub use explain::{Explanation, Funnel};
pub use history::{HistoryEntry, RegistrationHistory};
pub use migrate::migrate;
pub use model::{
    CheckRecord, NewRegistration, OutboxEvent, Recorded, StatusView, StoredState, Verification,
};
pub use notifications::{Channel, Claim, Contact, NotificationKey, Settlement};
pub use photos::{PhotoCheck, PhotoRecorded, PhotoView};
pub use ranking::SelectionPlan;
pub use rejoin::Rejoin;
pub use rotate::RotatedBatch;
pub use scoring::{ScoreRecord, ScoringInput};
pub use selection::{SelectionCounts, SelectionOutcome};
pub use settings::DatabaseSettings;
pub use store::{Scope, Store, TxFuture};
pub use transitions::{Change, apply_transitions};
pub use waitroom::{Joined, TicketState, UseRefused};
pub use waitroom_tick::{TickClaim, TickResult};
pub use waves::{NewWave, WaveChangeError, WaveRecord};
