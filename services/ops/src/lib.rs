//! `lonjak-ops` as a library: the operator commands that need more than a
//! call into a crate (wave selection and its announcement), so that tests
//! drive them in-process.

pub mod announce;
pub mod keys;
pub mod report;
