//! What the support desk reads out to a caller: states, reasons, registry
//! verdicts and deliveries in plain words.

use lonjak_domain::{RegistrationStatus, RejectionReason};
use lonjak_store::Rejoin;

pub fn status(s: RegistrationStatus) -> &'static str {
    use RegistrationStatus::*;
    match s {
        Queued => "Received and waiting in line to be checked.",
        Verifying => "Being checked against the registries now.",
        Verified => "Identity checked and accepted; waiting to be scored.",
        Scored => "Scored; waiting for the wave's selection.",
        Selected => "Selected in this wave.",
        Waitlisted => "Not selected in this wave: on the waiting list.",
        Rejected => "Not accepted (see the reason).",
    }
}

pub fn reason(r: RejectionReason) -> &'static str {
    use RejectionReason::*;
    match r {
        IdentityNotFound => "The civil registry (Dukcapil) does not know this NIK.",
        IdentityMismatch => {
            "The name or birth date does not match the civil registry (Dukcapil); \
             the applicant may register again with the data as registered."
        }
        Under18 => "Younger than 18 on the wave's closing day.",
        InEducation => "Enrolled in school or university (Dapodik).",
        IneligibleOccupation => {
            "The civil registry records an occupation the programme excludes \
             (civil servant, police or military, state enterprise director, village head, legislator)."
        }
        Duplicate => "Registered already: another registration holds this place.",
        KkCapReached => "The family card (KK) already has its maximum of members selected.",
    }
}

pub fn verdict(outcome: &str) -> &'static str {
    match outcome {
        "identity_confirmed" => "Identity confirmed.",
        "identity_not_found" => "NIK not found.",
        "identity_mismatch" => "Name or birth date does not match.",
        "ineligible_occupation" => "Occupation excluded by the programme.",
        "enrolled_in_education" => "Enrolled in education.",
        "not_enrolled" => "Not enrolled in education.",
        "receives_social_aid" => "Already receives social aid (ranked lower, not rejected).",
        "no_social_aid" => "Receives no social aid.",
        "not_checked" => "Not checked: an earlier registry already decided.",
        _ => "Answered.",
    }
}

pub fn delivery(state: &str) -> &'static str {
    match state {
        "sent" => "Sent: the provider accepted it.",
        "failed" => "Could not be delivered (the provider refused the address or number).",
        "claimed" => "Being sent now.",
        _ => "Waiting to be sent (or to be retried).",
    }
}

/// Whether a re-join is possible, and in words.
pub fn rejoin(r: Rejoin) -> (bool, Option<u32>, String) {
    match r {
        Rejoin::Rejoined { to, .. } => (
            true,
            Some(to),
            format!("May re-join wave {to} (an operator moves them, once)."),
        ),
        Rejoin::AlreadyRejoined => (false, None, "Has re-joined once already.".to_owned()),
        Rejoin::NoOpenWave => (
            false,
            None,
            "No later wave is open now; they may re-join when one opens.".to_owned(),
        ),
        Rejoin::AlreadyInWave(w) => (
            false,
            None,
            format!("Registered in wave {w} themselves already."),
        ),
        Rejoin::NotWaitlisted(s) => (false, None, format!("Not waitlisted ({s}).")),
        Rejoin::NotFound => (false, None, "No such registration.".to_owned()),
        Rejoin::Erased => (
            false,
            None,
            "Their personal data was erased after the retention period; they register anew."
                .to_owned(),
        ),
    }
}
