#![doc = include_str!("../README.md")]

pub mod applicant;
mod checks;
pub mod config;
mod decision;
pub mod handler;
pub mod metrics;
pub mod registry;
mod startup;

pub use checks::{Checked, check};
pub use config::Settings;
pub use startup::Application;
