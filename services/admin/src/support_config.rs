//! `support.*`: the limits of the support desk's look-ups and actions.

use serde::Deserialize;

/// How often an agent may act on one registration in one day (WIB), per
/// action. Counted in the database, so every admin replica shares them.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SupportSettings {
    /// Verification links re-sent by the desk per registration and day.
    pub resend_link_per_day: u32,
    /// Notifications re-sent per registration and day.
    pub resend_notification_per_day: u32,
    /// Replay requests filed per registration and day.
    pub replay_requests_per_day: u32,
    /// Look-ups per token holder and clock hour (0: none); past it 429.
    pub lookups_per_hour: u32,
}

impl Default for SupportSettings {
    fn default() -> Self {
        Self {
            resend_link_per_day: 2,
            resend_notification_per_day: 2,
            replay_requests_per_day: 1,
            lookups_per_hour: 60,
        }
    }
}
