//! `lonjak-ops` as a library: the operator commands that need more than a
//! call into a crate (wave selection and its announcement), so that tests
//! and the admin API (`services/admin`) drive them in-process; the admin
//! API's bodies and its client.

pub mod announce;
pub mod client;
pub mod keys;
pub mod keys_verify;
pub mod report;
pub mod retention;
pub mod retention_cmd;
pub mod support_client;
pub mod support_text;
pub mod support_wire;
pub mod wire;
