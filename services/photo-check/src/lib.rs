#![doc = include_str!("../README.md")]

pub mod check;
pub mod config;
pub mod handler;
pub mod metrics;
mod startup;

pub use config::Settings;
pub use startup::Application;
