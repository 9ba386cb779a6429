#![doc = include_str!("../README.md")]

mod config;
mod crypto;
mod drain;
mod error;
mod migrate;
mod model;
mod outbox;
mod registrations;
mod schema;
mod settings;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;
mod transitions;
mod verifications;
mod waitroom;
mod waitroom_tick;

pub use config::StoreConfig;
pub use crypto::DataKey;
pub use diesel_async::AsyncPgConnection;
pub use drain::{DrainRate, DrainSampling, fold as fold_drain_rate};
pub use error::StoreError;
pub use migrate::migrate;
pub use model::{
    CheckRecord, NewRegistration, OutboxEvent, Recorded, StatusView, StoredState, Verification,
};
pub use settings::DatabaseSettings;
pub use store::{Scope, Store, TxFuture};
pub use transitions::{Change, apply_transitions};
pub use waitroom::{Joined, TicketState, UseRefused};
pub use waitroom_tick::{TickClaim, TickResult};
