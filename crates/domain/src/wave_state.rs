//! A wave's life cycle:
//!
//! ```text
//! planned → open → closed → selected → announced
//! ```
//!
//! Registrations are accepted only while a wave is open; selection runs once
//! it is closed; the announcement (one event per decided applicant) follows.

use serde::{Deserialize, Serialize};

use crate::status::UnknownName;

/// Where a wave stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaveState {
    Planned,
    Open,
    Closed,
    Selected,
    Announced,
}

/// A refused change of a wave's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a wave cannot move from {from} to {to}")]
pub struct InvalidWaveTransition {
    pub from: WaveState,
    pub to: WaveState,
}

impl WaveState {
    /// Every state, in order.
    pub const ALL: [Self; 5] = [
        Self::Planned,
        Self::Open,
        Self::Closed,
        Self::Selected,
        Self::Announced,
    ];

    /// The snake_case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Selected => "selected",
            Self::Announced => "announced",
        }
    }

    /// The state before this one, if any: the only state it can be entered
    /// from. (A closed wave is not reopened: its applicants have been told
    /// it closed, and selection may have started.)
    pub fn previous(self) -> Option<Self> {
        match self {
            Self::Planned => None,
            Self::Open => Some(Self::Planned),
            Self::Closed => Some(Self::Open),
            Self::Selected => Some(Self::Closed),
            Self::Announced => Some(Self::Selected),
        }
    }

    /// Checks the move `self → to`: one step forward.
    pub fn check_move(self, to: WaveState) -> Result<(), InvalidWaveTransition> {
        if to.previous() == Some(self) {
            Ok(())
        } else {
            Err(InvalidWaveTransition { from: self, to })
        }
    }
}

impl std::fmt::Display for WaveState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for WaveState {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or(UnknownName::new("wave state"))
    }
}

#[cfg(test)]
mod tests {
    use super::WaveState::*;
    use super::*;

    #[test]
    fn a_wave_only_moves_one_step_forward() {
        let allowed = [
            (Planned, Open),
            (Open, Closed),
            (Closed, Selected),
            (Selected, Announced),
        ];
        for from in WaveState::ALL {
            for to in WaveState::ALL {
                assert_eq!(
                    from.check_move(to).is_ok(),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for state in WaveState::ALL {
            assert_eq!(state.as_str().parse::<WaveState>(), Ok(state));
        }
        assert!("Open".parse::<WaveState>().is_err());
    }
}
