//! HTTP routes of the public API.

pub mod email_verification;
pub mod register;
pub mod status;
