#![doc = include_str!("../README.md")]

mod config;
mod crypto;
mod error;
mod migrate;
mod model;
mod registrations;
mod schema;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;
mod transitions;

pub use config::StoreConfig;
pub use crypto::DataKey;
pub use error::StoreError;
pub use migrate::migrate;
pub use model::{BeginOutcome, CompleteExtra, NewRegistration, OutboxEvent, StatusView};
pub use store::Store;
