#![doc = include_str!("../README.md")]

pub mod args;
pub mod bench;
pub mod clients;
pub mod generator;
pub mod machine;
pub mod queue;
pub mod report;
pub mod schedule;
pub mod stats;
pub mod tally;
