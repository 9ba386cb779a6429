#![doc = include_str!("../README.md")]

pub mod config;
mod fanout;
pub mod handler;
pub mod metrics;
pub mod notice;
pub mod provider;
mod startup;
pub mod templates;

pub use config::Settings;
pub use handler::Notifier;
pub use lonjak_worker::BoxError;
pub use startup::{Application, LOOPS};

#[cfg(test)]
mod bindings_tests;
