#![doc = include_str!("../README.md")]

pub mod access;
pub mod auth;
pub mod config;
mod mask;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod routes;
mod startup;
pub mod state;
pub mod support_config;
mod support_words;

pub use config::Settings;
pub use startup::Application;
