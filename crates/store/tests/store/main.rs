//! Integration tests of lonjak-store against a real PostgreSQL, one fresh
//! database per test.

mod drain;
mod helpers;
mod key_verification;
mod migrations;
mod notifications;
mod outbox;
mod personal_data;
mod rotation;
mod session;
mod transitions;
mod verifications;
mod waitroom;
