#![doc = include_str!("../README.md")]

pub mod auth;
pub mod config;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod routes;
mod startup;
pub mod state;

pub use config::Settings;
pub use startup::Application;
