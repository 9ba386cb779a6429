//! HTTP routes of the public API.

pub mod register;
pub mod status;
