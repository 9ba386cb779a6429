//! The registration state machine. [`RegistrationStatus::transition`] and
//! [`RegistrationStatus::reopen`] are the only ways to obtain a
//! [`Transition`] (its fields are private), and storing a transition is the
//! only way a registration changes state.
//!
//! ```text
//! queued → verifying → verified → scored → selected | waitlisted
//!              └────────────┴─────────┴──→ rejected(reason)
//! rejected(identity_not_found | identity_mismatch) → verifying   (reopen)
//! waitlisted → scored                                 (rejoin, next wave)
//! ```
//!
//! A submission whose identity Dukcapil does not confirm holds no place: the
//! NIK's owner may still register, and that submission reopens the record.

use serde::{Deserialize, Serialize};

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    Queued,
    Verifying,
    Verified,
    Scored,
    Selected,
    Waitlisted,
    Rejected,
}

/// Why a registration was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionReason {
    IdentityNotFound,
    IdentityMismatch,
    #[serde(rename = "under_18")]
    Under18,
    InEducation,
    IneligibleOccupation,
    Duplicate,
    /// The family card (KK) already has its lifetime maximum of members
    /// selected.
    KkCapReached,
}

/// An allowed change of state; `reason` is set exactly when `to` is
/// [`RegistrationStatus::Rejected`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transition {
    from: RegistrationStatus,
    to: RegistrationStatus,
    reason: Option<RejectionReason>,
}

impl Transition {
    /// The state left.
    pub fn from(&self) -> RegistrationStatus {
        self.from
    }

    /// The state entered.
    pub fn to(&self) -> RegistrationStatus {
        self.to
    }

    /// Why, when `to` is rejected.
    pub fn reason(&self) -> Option<RejectionReason> {
        self.reason
    }
}

/// A refused change of state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidTransition {
    #[error("a registration cannot move from {from} to {to}")]
    NotAllowed {
        from: RegistrationStatus,
        to: RegistrationStatus,
    },
    #[error("a move from {from} to rejected needs a reason")]
    MissingReason { from: RegistrationStatus },
    #[error("a move from {from} to {to} takes no rejection reason")]
    UnexpectedReason {
        from: RegistrationStatus,
        to: RegistrationStatus,
    },
    #[error("only a registration rejected for its identity can be reopened")]
    NotReopenable,
    #[error("only a waitlisted registration can re-join a wave")]
    NotRejoinable,
}

/// A status or reason name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} name")]
pub struct UnknownName {
    kind: &'static str,
}

impl UnknownName {
    pub(crate) fn new(kind: &'static str) -> Self {
        Self { kind }
    }
}

impl RegistrationStatus {
    /// Every status, in pipeline order.
    pub const ALL: [Self; 7] = [
        Self::Queued,
        Self::Verifying,
        Self::Verified,
        Self::Scored,
        Self::Selected,
        Self::Waitlisted,
        Self::Rejected,
    ];

    /// The snake_case name, as stored and as shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Verifying => "verifying",
            Self::Verified => "verified",
            Self::Scored => "scored",
            Self::Selected => "selected",
            Self::Waitlisted => "waitlisted",
            Self::Rejected => "rejected",
        }
    }

    /// Whether no transition leaves this status.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Selected | Self::Waitlisted | Self::Rejected)
    }

    /// Whether `self → to` is an edge of the state machine (ignoring reasons).
    pub fn can_move_to(self, to: RegistrationStatus) -> bool {
        use RegistrationStatus::*;
        matches!(
            (self, to),
            (Queued, Verifying)
                | (Verifying, Verified | Rejected)
                | (Verified, Scored | Rejected)
                | (Scored, Selected | Waitlisted | Rejected)
        )
    }

    /// Checks the move to `to`. Allowed: queued→verifying,
    /// verifying→verified, verifying→rejected, verified→scored,
    /// verified→rejected (ineligible), scored→selected|waitlisted|rejected
    /// (the KK cap at selection). A reason is required for, and
    /// only for, a move to rejected.
    pub fn transition(
        self,
        to: RegistrationStatus,
        reason: Option<RejectionReason>,
    ) -> Result<Transition, InvalidTransition> {
        if !self.can_move_to(to) {
            return Err(InvalidTransition::NotAllowed { from: self, to });
        }
        match (to, reason) {
            (RegistrationStatus::Rejected, None) => {
                Err(InvalidTransition::MissingReason { from: self })
            }
            (RegistrationStatus::Rejected, Some(_)) | (_, None) => Ok(Transition {
                from: self,
                to,
                reason,
            }),
            (_, Some(_)) => Err(InvalidTransition::UnexpectedReason { from: self, to }),
        }
    }
}

impl RegistrationStatus {
    /// Reopens a record rejected because Dukcapil did not confirm the
    /// identity: `rejected → verifying`, for a different submission with the
    /// same NIK and wave. Any other record stays final.
    pub fn reopen(self, reason: Option<RejectionReason>) -> Result<Transition, InvalidTransition> {
        match (self, reason) {
            (Self::Rejected, Some(reason)) if reason.is_identity_failure() => Ok(Transition {
                from: self,
                to: Self::Verifying,
                reason: None,
            }),
            _ => Err(InvalidTransition::NotReopenable),
        }
    }
}

impl RegistrationStatus {
    /// A waitlisted applicant re-joining the next open wave keeps their
    /// verification and score: `waitlisted → scored`. Whether they still
    /// may (once per applicant) is the store's to check.
    pub fn rejoin(self) -> Result<Transition, InvalidTransition> {
        match self {
            Self::Waitlisted => Ok(Transition {
                from: self,
                to: Self::Scored,
                reason: None,
            }),
            _ => Err(InvalidTransition::NotRejoinable),
        }
    }
}

impl RejectionReason {
    /// Whether the submission failed the identity check: it holds no place.
    pub fn is_identity_failure(self) -> bool {
        matches!(self, Self::IdentityNotFound | Self::IdentityMismatch)
    }

    pub const ALL: [Self; 7] = [
        Self::IdentityNotFound,
        Self::IdentityMismatch,
        Self::Under18,
        Self::InEducation,
        Self::IneligibleOccupation,
        Self::Duplicate,
        Self::KkCapReached,
    ];

    /// The snake_case name, as stored and as shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IdentityNotFound => "identity_not_found",
            Self::IdentityMismatch => "identity_mismatch",
            Self::Under18 => "under_18",
            Self::InEducation => "in_education",
            Self::IneligibleOccupation => "ineligible_occupation",
            Self::Duplicate => "duplicate",
            Self::KkCapReached => "kk_cap_reached",
        }
    }
}

macro_rules! name_impls {
    ($ty:ident, $kind:literal) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or(UnknownName { kind: $kind })
            }
        }
    };
}

name_impls!(RegistrationStatus, "status");
name_impls!(RejectionReason, "rejection reason");

#[cfg(test)]
mod tests {
    use super::RegistrationStatus::*;
    use super::*;

    #[test]
    fn the_happy_path_is_allowed_step_by_step() {
        let steps = [
            (Queued, Verifying),
            (Verifying, Verified),
            (Verified, Scored),
            (Scored, Selected),
        ];
        for (from, to) in steps {
            assert_eq!(
                from.transition(to, None),
                Ok(Transition {
                    from,
                    to,
                    reason: None
                })
            );
        }
        assert!(Scored.transition(Waitlisted, None).is_ok());
    }

    #[test]
    fn rejection_is_allowed_from_verifying_verified_and_scored_with_a_reason() {
        for from in [Verifying, Verified, Scored] {
            let t = from
                .transition(Rejected, Some(RejectionReason::Duplicate))
                .expect("allowed");
            assert_eq!(t.reason, Some(RejectionReason::Duplicate));
            assert_eq!(
                from.transition(Rejected, None),
                Err(InvalidTransition::MissingReason { from })
            );
        }
    }

    #[test]
    fn a_reason_on_a_move_other_than_rejection_is_refused() {
        assert_eq!(
            Queued.transition(Verifying, Some(RejectionReason::Under18)),
            Err(InvalidTransition::UnexpectedReason {
                from: Queued,
                to: Verifying
            })
        );
    }

    #[test]
    fn every_other_move_is_refused_and_final_states_have_no_exit() {
        let allowed = [
            (Queued, Verifying),
            (Verifying, Verified),
            (Verifying, Rejected),
            (Verified, Scored),
            (Verified, Rejected),
            (Scored, Selected),
            (Scored, Waitlisted),
            (Scored, Rejected),
        ];
        for from in RegistrationStatus::ALL {
            for to in RegistrationStatus::ALL {
                assert_eq!(
                    from.can_move_to(to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
                if !allowed.contains(&(from, to)) {
                    let reason = (to == Rejected).then_some(RejectionReason::Duplicate);
                    assert_eq!(
                        from.transition(to, reason),
                        Err(InvalidTransition::NotAllowed { from, to })
                    );
                }
                if from.is_final() {
                    assert!(!from.can_move_to(to));
                }
            }
        }
        assert_eq!(
            RegistrationStatus::ALL
                .iter()
                .filter(|s| s.is_final())
                .count(),
            3
        );
    }

    #[test]
    fn only_an_identity_rejection_can_be_reopened() {
        for reason in RejectionReason::ALL {
            let reopened = Rejected.reopen(Some(reason));
            if reason.is_identity_failure() {
                let t = reopened.expect("reopenable");
                assert_eq!((t.from(), t.to(), t.reason()), (Rejected, Verifying, None));
            } else {
                assert_eq!(reopened, Err(InvalidTransition::NotReopenable));
            }
        }
        for status in RegistrationStatus::ALL {
            if status != Rejected {
                assert_eq!(
                    status.reopen(Some(RejectionReason::IdentityMismatch)),
                    Err(InvalidTransition::NotReopenable)
                );
            }
        }
        assert_eq!(Rejected.reopen(None), Err(InvalidTransition::NotReopenable));
    }

    #[test]
    fn only_a_waitlisted_registration_can_rejoin_and_it_becomes_scored() {
        for status in RegistrationStatus::ALL {
            let rejoined = status.rejoin();
            if status == Waitlisted {
                let t = rejoined.expect("rejoinable");
                assert_eq!((t.from(), t.to(), t.reason()), (Waitlisted, Scored, None));
            } else {
                assert_eq!(rejoined, Err(InvalidTransition::NotRejoinable));
            }
        }
    }

    #[test]
    fn names_round_trip_through_from_str_display_and_json() {
        for status in RegistrationStatus::ALL {
            assert_eq!(status.as_str().parse::<RegistrationStatus>(), Ok(status));
            assert_eq!(serde_json::to_value(status).expect("json"), status.as_str());
        }
        for reason in RejectionReason::ALL {
            assert_eq!(reason.to_string().parse::<RejectionReason>(), Ok(reason));
            assert_eq!(serde_json::to_value(reason).expect("json"), reason.as_str());
            let back: RejectionReason =
                serde_json::from_value(reason.as_str().into()).expect("json");
            assert_eq!(back, reason);
        }
        assert_eq!(
            serde_json::to_value(RejectionReason::Under18).expect("json"),
            "under_18"
        );
        assert!("Queued".parse::<RegistrationStatus>().is_err());
        assert!("under18".parse::<RejectionReason>().is_err());
    }
}
