#![doc = include_str!("../README.md")]

mod answers;
mod config;
mod gate;
mod metrics;
mod nik;
mod problem;
mod routes;
mod server;
mod state;
mod telemetry;
mod wire;

pub use answers::{
    Answers, INELIGIBLE_OCCUPATIONS, Identity, InstitutionType, Occupation, Programme, answers,
};
pub use config::{ConfigError, Fractions, Registry, RegistryConfig, SimConfig};
pub use gate::RegistryStats;
pub use nik::{Nik, NikError};
pub use server::{RunningSim, run, spawn};
pub use state::SimStats;
pub use telemetry::init_tracing;
pub use wire::{DapodikResponse, DtksResponse, DukcapilRequest, DukcapilResponse};
