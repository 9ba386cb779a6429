#![doc = include_str!("../README.md")]

pub mod applicant;
mod checks;
pub mod config;
pub mod handler;
pub mod metrics;
pub mod registry;
mod startup;
pub mod worker;

pub use checks::Checks;
pub use config::Settings;
pub use startup::Application;
