#![doc = include_str!("../README.md")]

mod config;
mod crypto;
mod email_verification;
mod error;
mod migrate;
mod model;
mod notifications;
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

pub use config::StoreConfig;
pub use crypto::DataKey;
pub use diesel_async::AsyncPgConnection;
pub use email_verification::{EmailFunnel, Resend, email_verified_among};
pub use error::StoreError;
pub use migrate::migrate;
pub use model::{
    CheckRecord, NewRegistration, OutboxEvent, Recorded, StatusView, StoredState, Verification,
};
pub use notifications::{Channel, Claim, Contact, NotificationKey, Settlement};
pub use settings::DatabaseSettings;
pub use store::{Scope, Store, TxFuture};
pub use transitions::{Change, apply_transitions};
