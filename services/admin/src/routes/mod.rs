//! The admin API's handlers. Each takes [`crate::auth::Operator`] or
//! [`crate::auth::Staff`] first, so a request is authenticated and its role
//! checked before anything else of it is read.

pub mod console;
pub mod desk;
pub mod registrations;
pub mod retention;
pub mod selection;
pub mod support;
pub mod support_actions;
pub mod support_ops;
pub mod waves;

use lonjak_domain::{RegistrationId, Wave};

use crate::problem::AdminError;

/// A wave number from the path: 422 naming `wave` and the rule it breaks.
pub fn wave_from_path(raw: &str) -> Result<Wave, AdminError> {
    Ok(Wave::parse(raw)?)
}

/// A registration id from the path: 422 naming `registration_id`.
pub fn id_from_path(raw: &str) -> Result<RegistrationId, AdminError> {
    RegistrationId::parse(raw).map_err(|e| {
        AdminError::invalid_field(
            "registration_id",
            "format",
            format!("{e}: 32 lowercase hexadecimal digits"),
        )
    })
}
