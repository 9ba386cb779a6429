#![doc = include_str!("../README.md")]

pub mod admission;
pub mod app;
pub mod broker;
pub mod config;
pub mod drain;
pub mod fallback;
pub mod intake;
pub mod metrics;
pub mod openapi;
pub mod photos;
pub mod problem;
pub mod routes;
pub mod state;
pub mod status;
pub mod waitroom;
pub mod waves;
