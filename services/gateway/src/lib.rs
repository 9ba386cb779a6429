//! Library of the service; main.rs is a thin wrapper.
