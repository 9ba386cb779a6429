//! Integration tests of the registry simulator over real HTTP.

mod admin;
mod capacity;
mod determinism;
mod helpers;
mod ops;
mod registries;
