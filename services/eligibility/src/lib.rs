#![doc = include_str!("../README.md")]

pub mod config;
mod decision;
pub mod handler;
pub mod metrics;
mod startup;

pub use config::Settings;
pub use startup::Application;
