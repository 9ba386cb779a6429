//! `POST /v1/support/lookup`: a person's registrations, found by NIK, email
//! or phone through the keyed hashes, with what happened to each, personal
//! fields masked unless an operator asks otherwise. Every look-up and every
//! refusal is in the access log; an answer is sent only once logged.

use actix_web::{HttpResponse, web};
use lonjak_domain::{Email, EmailHash, Nik, NikHash, Phone, PhoneHash};
use lonjak_ops::support_wire::{
    LookupRequest, RejoinEligibilityBody, SupportHistoryBody, SupportLookupBody,
    SupportNotificationBody, SupportPhotoBody, SupportRegistrationBody, SupportVerificationBody,
};
use lonjak_ops::wire::ProblemBody;
use lonjak_store::{AccessEntry, LookupAllowance, LookupKey, SupportRecord};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::access::Desk;
use crate::auth::{Role, Staff};
use crate::problem::AdminError;
use crate::state::AdminState;
use crate::{mask, support_words as words};

/// `POST /v1/support/lookup`.
#[utoipa::path(
    post,
    path = "/v1/support/lookup",
    request_body = LookupRequest,
    responses(
        (status = 200, description = "Every registration found (none: an empty list), personal fields masked unless an operator asked `unmasked`", body = SupportLookupBody),
        (status = 401, description = "No valid bearer token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "An agent asked for unmasked fields", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "No reason, not exactly one of nik/email/phone, or a malformed value", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "The token holder's `support.lookups_per_hour` is used up this clock hour; `Retry-After` says when the next starts", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn lookup(
    Staff(caller): Staff,
    body: web::Bytes,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, AdminError> {
    let desk = Desk::new(&state, &caller, "lookup");
    let request: LookupRequest = desk.body(&body, desk.entry("invalid")).await?;
    let mut base = desk.entry("invalid");
    base.lookup_kind = kind_of(&request).map(str::to_owned);
    let reason = desk.reason(request.reason.as_deref(), base.clone()).await?;
    base.reason = Some(reason.clone());
    let key = match key_of(&state, &request) {
        Ok(key) => key,
        Err(error) => {
            let entry = AccessEntry {
                detail: Some("query: exactly one valid nik, email or phone".to_owned()),
                ..base
            };
            return Err(desk.refuse(entry, error).await);
        }
    };
    if request.unmasked && caller.role != Role::Operator {
        let entry = AccessEntry {
            outcome: "forbidden".to_owned(),
            detail: Some("unmasked: operators only".to_owned()),
            ..base
        };
        let error = AdminError::Forbidden {
            role: caller.role,
            needed: Role::Operator,
        };
        return Err(desk.refuse(entry, error).await);
    }
    let limited = AccessEntry {
        outcome: "limited".to_owned(),
        detail: Some(format!(
            "lookups_per_hour: {}",
            state.support.lookups_per_hour
        )),
        ..base.clone()
    };
    let allowance = state
        .store
        .count_support_lookup(&caller.name, state.support.lookups_per_hour, &limited)
        .await?;
    if let LookupAllowance::Limited { retry_after } = allowance {
        tracing::info!(caller.name = %caller.name, "support look-up bound reached");
        return Err(AdminError::TooMany {
            field: "lookups_per_hour",
            detail: format!(
                "At most {} look-ups an hour per token holder; the next hour starts in {retry_after} s.",
                state.support.lookups_per_hour
            ),
            retry_after,
        });
    }
    let records = state.store.support_lookup(&key).await?;
    let entry = AccessEntry {
        action: if request.unmasked {
            "lookup_unmasked".to_owned()
        } else {
            "lookup".to_owned()
        },
        registration_ids: records
            .iter()
            .map(|r| r.status.registration_id.to_string())
            .collect(),
        outcome: if records.is_empty() {
            "not_found"
        } else {
            "ok"
        }
        .to_owned(),
        detail: Some(format!("{} registration(s)", records.len())),
        ..base
    };
    desk.record(&entry).await?;
    tracing::info!(
        caller.name = %caller.name,
        lookup.kind = key.kind(),
        found = records.len(),
        unmasked = request.unmasked,
        "support look-up"
    );
    let masked = !request.unmasked;
    Ok(HttpResponse::Ok().json(SupportLookupBody {
        lookup_kind: key.kind().to_owned(),
        masked,
        registrations: records.iter().map(|r| body_of(r, masked)).collect(),
    }))
}

fn kind_of(request: &LookupRequest) -> Option<&'static str> {
    match (&request.nik, &request.email, &request.phone) {
        (Some(_), None, None) => Some("nik"),
        (None, Some(_), None) => Some("email"),
        (None, None, Some(_)) => Some("phone"),
        _ => None,
    }
}

/// The keyed hash of the one value given (parsed as the gateway parses it,
/// so `+62…`, `08…` and upper-case addresses find the same record).
fn key_of(state: &AdminState, request: &LookupRequest) -> Result<LookupKey, AdminError> {
    let identity = state.identity.as_ref().ok_or_else(|| {
        AdminError::internal_message("the support desk needs identity.key (LONJAK_IDENTITY__KEY)")
    })?;
    Ok(match (&request.nik, &request.email, &request.phone) {
        (Some(nik), None, None) => LookupKey::Nik(NikHash::derive(identity, &Nik::parse(nik)?)),
        (None, Some(email), None) => {
            LookupKey::Email(EmailHash::derive(identity, Email::parse(email)?.as_str()))
        }
        (None, None, Some(phone)) => {
            LookupKey::Phone(PhoneHash::derive(identity, Phone::parse(phone)?.as_str()))
        }
        _ => {
            return Err(AdminError::invalid_field(
                "query",
                "exactly_one",
                "Give exactly one of nik, email and phone.",
            ));
        }
    })
}

pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn body_of(r: &SupportRecord, masked: bool) -> SupportRegistrationBody {
    SupportRegistrationBody {
        registration_id: r.status.registration_id.to_string(),
        wave: r.wave,
        wave_state: r.wave_state.clone(),
        rejoined_from: r.rejoined_from,
        submitted_at: rfc3339(r.submitted_at),
        status: r.status.status.as_str().to_owned(),
        status_words: words::status(r.status.status).to_owned(),
        reason: r.status.reason.map(|x| x.as_str().to_owned()),
        reason_words: r.status.reason.map(|x| words::reason(x).to_owned()),
        email_verified: r.status.email_verified,
        history: r
            .history
            .iter()
            .map(|h| SupportHistoryBody {
                from: h.from.map(|s| s.as_str().to_owned()),
                to: h.to.as_str().to_owned(),
                reason: h.reason.map(|x| x.as_str().to_owned()),
                words: match h.reason {
                    Some(reason) => format!("{} {}", words::status(h.to), words::reason(reason)),
                    None => words::status(h.to).to_owned(),
                },
                at: rfc3339(h.at),
            })
            .collect(),
        verifications: r
            .verifications
            .iter()
            .map(|v| SupportVerificationBody {
                registry: v.registry.clone(),
                outcome: v.outcome.to_owned(),
                words: words::verdict(v.outcome).to_owned(),
                checked_at: rfc3339(v.checked_at),
            })
            .collect(),
        notifications: r
            .notifications
            .iter()
            .map(|n| SupportNotificationBody {
                event: n.event.clone(),
                channel: n.channel.clone(),
                state: n.state.clone(),
                words: words::delivery(&n.state).to_owned(),
                attempts: n.attempts,
                failure: n.failure.clone(),
                created_at: rfc3339(n.created_at),
                sent_at: n.sent_at.map(rfc3339),
            })
            .collect(),
        photos: r
            .photos
            .iter()
            .map(|p| SupportPhotoBody {
                kind: p.kind.as_str().to_owned(),
                state: p.state.as_str().to_owned(),
                reason: p.reason.map(|x| x.as_str().to_owned()),
                checked_at: rfc3339(p.checked_at),
            })
            .collect(),
        rejoin: r.rejoin.map(|x| {
            let (eligible, to_wave, words) = words::rejoin(x);
            RejoinEligibilityBody {
                eligible,
                to_wave,
                words,
            }
        }),
        personal: r.personal.as_ref().map(|p| mask::personal(p, masked)),
    }
}
