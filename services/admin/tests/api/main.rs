//! The admin API against the real PostgreSQL (a fresh database per test)
//! and RabbitMQ (a random prefix per test), through HTTP on port 0.

// Test code: a failed unwrap is a failed test with its message.
#![allow(clippy::unwrap_used)]

mod auth;
mod console;
mod helpers;
mod registrations;
mod retention;
mod selection;
mod support;
mod support_actions;
mod support_bound;
mod support_ranked;
mod support_seed;
mod waves;
