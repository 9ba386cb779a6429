//! Integration tests of lonjak-store against a real PostgreSQL, one fresh
//! database per test.

mod begin;
mod helpers;
mod migrations;
mod outbox;
mod personal_data;
mod transitions;
