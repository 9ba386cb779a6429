//! Bearer tokens and roles. Tokens come from configuration; only their
//! SHA-256 digests are kept, and a presented token is compared with every
//! digest in constant time (`subtle`), without stopping at a match, so
//! neither the time taken nor the order of the tokens tells anything about
//! them. Tokens are never logged; the log names the token's holder.

use std::collections::HashSet;
use std::future::{Ready, ready};

use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::AdminSettings;
use crate::problem::AdminError;
use crate::state::AdminState;

/// Shortest token accepted: 32 characters (e.g. 16 random bytes in hex).
pub const MIN_TOKEN_LEN: usize = 32;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Support desk: read-only look-ups.
    Agent,
    /// Everything: waves, selection, announcement, explanations, re-joining.
    Operator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Operator => "operator",
        }
    }

    fn allows(self, needed: Role) -> bool {
        self == Role::Operator || needed == Role::Agent
    }
}

/// Why the token settings are unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    #[error("admin.operator_tokens: at least one operator token is required")]
    NoOperator,
    #[error("admin.{setting}: entry {index} is not `name:token`")]
    Form { setting: &'static str, index: usize },
    #[error("admin.{setting}: the token of {name:?} is shorter than {MIN_TOKEN_LEN} characters")]
    Short { setting: &'static str, name: String },
    #[error("admin tokens: the name {0:?} is given twice")]
    DuplicateName(String),
    #[error("admin tokens: the token of {0:?} is also another holder's")]
    DuplicateToken(String),
}

struct Entry {
    name: String,
    role: Role,
    digest: [u8; 32],
}

/// The configured tokens, as digests.
pub struct Tokens {
    entries: Vec<Entry>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| (&e.name, e.role)))
            .finish()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    pub fn from_settings(settings: &AdminSettings) -> Result<Self, TokenError> {
        let mut entries = Vec::new();
        for (setting, role, list) in [
            ("operator_tokens", Role::Operator, &settings.operator_tokens),
            ("agent_tokens", Role::Agent, &settings.agent_tokens),
        ] {
            parse(setting, role, list, &mut entries)?;
        }
        if !entries.iter().any(|e| e.role == Role::Operator) {
            return Err(TokenError::NoOperator);
        }
        let mut names = HashSet::new();
        let mut digests = HashSet::new();
        for e in &entries {
            if !names.insert(e.name.as_str()) {
                return Err(TokenError::DuplicateName(e.name.clone()));
            }
            if !digests.insert(e.digest) {
                return Err(TokenError::DuplicateToken(e.name.clone()));
            }
        }
        Ok(Self { entries })
    }

    /// The holder and role of `presented`, if it is one of the tokens.
    pub fn identify(&self, presented: &str) -> Option<Caller> {
        let presented = digest(presented);
        let mut found = None;
        for entry in &self.entries {
            let equal: bool = entry.digest.ct_eq(&presented).into();
            if equal {
                found = Some(Caller {
                    name: entry.name.clone(),
                    role: entry.role,
                });
            }
        }
        found
    }
}

fn parse(
    setting: &'static str,
    role: Role,
    list: &SecretString,
    out: &mut Vec<Entry>,
) -> Result<(), TokenError> {
    let parts = list
        .expose_secret()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty());
    for (index, part) in parts.enumerate() {
        let Some((name, token)) = part.split_once(':') else {
            return Err(TokenError::Form { setting, index });
        };
        let (name, token) = (name.trim(), token.trim());
        if name.is_empty() {
            return Err(TokenError::Form { setting, index });
        }
        if token.chars().count() < MIN_TOKEN_LEN {
            return Err(TokenError::Short {
                setting,
                name: name.to_owned(),
            });
        }
        out.push(Entry {
            name: name.to_owned(),
            role,
            digest: digest(token),
        });
    }
    Ok(())
}

/// Who is calling: a token's holder and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

/// A refusal of [`authorize`], left in the request's extensions for the
/// access log (`crate::access`), which records it once the answer is out.
#[derive(Debug, Clone)]
pub struct Refused {
    pub caller: Option<Caller>,
    /// `unauthenticated` or `forbidden`.
    pub outcome: &'static str,
}

/// Authenticates the request and checks that its role allows `needed`:
/// 401 without a valid bearer token, 403 when the role does not allow it.
pub(crate) fn authorize(req: &HttpRequest, needed: Role) -> Result<Caller, AdminError> {
    let refused = |caller: Option<Caller>, outcome| {
        req.extensions_mut().insert(Refused { caller, outcome });
    };
    let state = req
        .app_data::<web::Data<AdminState>>()
        .ok_or_else(|| AdminError::internal_message("admin state missing"))?;
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let Some(presented) = presented else {
        state.metrics.refused("missing");
        tracing::warn!(http.route = %route, reason = "missing", "admin request without a bearer token");
        refused(None, "unauthenticated");
        return Err(AdminError::Unauthenticated("A bearer token is required."));
    };
    let Some(caller) = state.tokens.identify(presented) else {
        state.metrics.refused("invalid");
        tracing::warn!(http.route = %route, reason = "invalid", "admin request with an unknown token");
        refused(None, "unauthenticated");
        return Err(AdminError::Unauthenticated(
            "The bearer token is not valid.",
        ));
    };
    if !caller.role.allows(needed) {
        state.metrics.refused("forbidden");
        tracing::warn!(
            http.route = %route,
            caller.name = %caller.name,
            caller.role = caller.role.as_str(),
            needed = needed.as_str(),
            "admin request refused: role does not allow it"
        );
        refused(Some(caller.clone()), "forbidden");
        return Err(AdminError::Forbidden {
            role: caller.role,
            needed,
        });
    }
    tracing::info!(
        http.route = %route,
        http.method = %req.method(),
        caller.name = %caller.name,
        caller.role = caller.role.as_str(),
        "admin request"
    );
    Ok(caller)
}

/// An extractor that only an operator's token passes.
#[derive(Debug)]
pub struct Operator(pub Caller);

/// An extractor that any valid token passes (agents and operators).
#[derive(Debug)]
pub struct Staff(pub Caller);

impl FromRequest for Operator {
    type Error = AdminError;
    type Future = Ready<Result<Self, AdminError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(authorize(req, Role::Operator).map(Operator))
    }
}

impl FromRequest for Staff {
    type Error = AdminError;
    type Future = Ready<Result<Self, AdminError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(authorize(req, Role::Agent).map(Staff))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(operators: &str, agents: &str) -> AdminSettings {
        AdminSettings {
            operator_tokens: SecretString::from(operators),
            agent_tokens: SecretString::from(agents),
            ..AdminSettings::default()
        }
    }

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn each_token_identifies_its_holder_and_role_and_nothing_else_passes() {
        let tokens = Tokens::from_settings(&settings(&format!("ana:{A}"), &format!("budi:{B}")))
            .expect("tokens");
        assert_eq!(
            tokens.identify(A),
            Some(Caller {
                name: "ana".into(),
                role: Role::Operator
            })
        );
        assert_eq!(tokens.identify(B).map(|c| c.role), Some(Role::Agent));
        assert_eq!(tokens.identify(&A[1..]), None);
        assert_eq!(tokens.identify(""), None);
        assert_eq!(tokens.identify(&format!("{A}a")), None);
    }

    #[test]
    fn unusable_token_settings_are_refused_at_start() {
        let refused =
            |ops: &str, agents: &str| Tokens::from_settings(&settings(ops, agents)).is_err();
        assert!(refused("", &format!("budi:{B}")), "no operator");
        assert!(refused("ana:short", ""), "short token");
        assert!(refused(A, ""), "no name");
        assert!(refused(&format!("ana:{A},ana:{B}"), ""), "name twice");
        assert!(
            refused(&format!("ana:{A}"), &format!("budi:{A}")),
            "token twice"
        );
        assert!(!refused(&format!("ana:{A}, tono:{B}"), ""));
    }

    #[test]
    fn operators_may_do_everything_agents_only_look_up() {
        assert!(Role::Operator.allows(Role::Agent));
        assert!(Role::Operator.allows(Role::Operator));
        assert!(Role::Agent.allows(Role::Agent));
        assert!(!Role::Agent.allows(Role::Operator));
    }
}
