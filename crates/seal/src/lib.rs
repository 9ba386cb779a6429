#![doc = include_str!("../README.md")]

mod applicant;
mod keys;
mod settings;

pub use applicant::{OpenError, SealError, open_submitted, seal_request, seal_submitted};
pub use keys::{
    DEVELOPMENT_PRIVATE_KEY, DEVELOPMENT_PUBLIC_KEY, KeyError, KeyId, OpeningKeys, SealPrivateKey,
    SealPublicKey,
};
pub use settings::{OpeningSettings, SealingSettings};
