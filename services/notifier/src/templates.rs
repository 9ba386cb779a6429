//! The message templates: files under `templates/{language}/`, one per
//! event and channel (`verified.subject`, `verified.email`, `verified.sms`,
//! …) plus `words` (the plain words for reason and rule codes), rendered by
//! minijinja. They are compiled into the binary, and every one is checked at
//! start: a template that does not parse stops the notifier before it
//! consumes anything.

use lonjak_domain::Language;
use lonjak_store::Channel;
use minijinja::{Environment, UndefinedBehavior, Value, context};

use crate::notice::Facts;

/// Every template file, by name.
const FILES: &[(&str, &str)] = &[
    (
        "id/email_verification.email",
        include_str!("../templates/id/email_verification.email"),
    ),
    (
        "id/email_verification.subject",
        include_str!("../templates/id/email_verification.subject"),
    ),
    (
        "id/rejected.email",
        include_str!("../templates/id/rejected.email"),
    ),
    (
        "id/rejected.sms",
        include_str!("../templates/id/rejected.sms"),
    ),
    (
        "id/rejected.subject",
        include_str!("../templates/id/rejected.subject"),
    ),
    (
        "id/selected.email",
        include_str!("../templates/id/selected.email"),
    ),
    (
        "id/selected.sms",
        include_str!("../templates/id/selected.sms"),
    ),
    (
        "id/selected.subject",
        include_str!("../templates/id/selected.subject"),
    ),
    (
        "id/verified.email",
        include_str!("../templates/id/verified.email"),
    ),
    (
        "id/verified.sms",
        include_str!("../templates/id/verified.sms"),
    ),
    (
        "id/verified.subject",
        include_str!("../templates/id/verified.subject"),
    ),
    (
        "id/waitlisted.email",
        include_str!("../templates/id/waitlisted.email"),
    ),
    (
        "id/waitlisted.sms",
        include_str!("../templates/id/waitlisted.sms"),
    ),
    (
        "id/waitlisted.subject",
        include_str!("../templates/id/waitlisted.subject"),
    ),
    ("id/words", include_str!("../templates/id/words")),
    (
        "en/email_verification.email",
        include_str!("../templates/en/email_verification.email"),
    ),
    (
        "en/email_verification.subject",
        include_str!("../templates/en/email_verification.subject"),
    ),
    (
        "en/rejected.email",
        include_str!("../templates/en/rejected.email"),
    ),
    (
        "en/rejected.sms",
        include_str!("../templates/en/rejected.sms"),
    ),
    (
        "en/rejected.subject",
        include_str!("../templates/en/rejected.subject"),
    ),
    (
        "en/selected.email",
        include_str!("../templates/en/selected.email"),
    ),
    (
        "en/selected.sms",
        include_str!("../templates/en/selected.sms"),
    ),
    (
        "en/selected.subject",
        include_str!("../templates/en/selected.subject"),
    ),
    (
        "en/verified.email",
        include_str!("../templates/en/verified.email"),
    ),
    (
        "en/verified.sms",
        include_str!("../templates/en/verified.sms"),
    ),
    (
        "en/verified.subject",
        include_str!("../templates/en/verified.subject"),
    ),
    (
        "en/waitlisted.email",
        include_str!("../templates/en/waitlisted.email"),
    ),
    (
        "en/waitlisted.sms",
        include_str!("../templates/en/waitlisted.sms"),
    ),
    (
        "en/waitlisted.subject",
        include_str!("../templates/en/waitlisted.subject"),
    ),
    ("en/words", include_str!("../templates/en/words")),
];

/// The templates, parsed once.
pub struct Templates {
    env: Environment<'static>,
}

/// What the templates of one message are filled with.
pub struct Fill<'a> {
    pub name: &'a str,
    pub registration_id: String,
    pub wave: u32,
    pub facts: &'a Facts,
    /// The verification link, when the address is not verified yet.
    pub link: Option<String>,
    /// When the link expires, in words.
    pub link_expires: Option<String>,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Email only.
    pub subject: Option<String>,
    pub body: String,
}

/// A template that would not render: a defect of the templates, never of
/// the applicant's data.
#[derive(Debug, thiserror::Error)]
#[error("template {name} does not render")]
pub struct TemplateError {
    pub name: String,
    #[source]
    pub source: minijinja::Error,
}

impl Templates {
    /// Parses every template.
    pub fn load() -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        // A misspelt variable is an error, not an empty string in a letter.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in FILES {
            env.add_template(name, source)
                .map_err(|source| TemplateError {
                    name: (*name).to_owned(),
                    source,
                })?;
        }
        Ok(Self { env })
    }

    /// The message for `template` on `channel` in `language`.
    pub fn render(
        &self,
        template: &str,
        channel: Channel,
        language: Language,
        fill: &Fill<'_>,
    ) -> Result<Rendered, TemplateError> {
        let score = fill.facts.score.as_ref().map(|score| {
            let parts: Vec<Value> = score
                .parts
                .iter()
                .map(|part| context!(rule => part.rule.clone(), points => part.points))
                .collect();
            context!(total => score.total, parts => parts)
        });
        let ctx = context!(
            name => fill.name,
            registration_id => fill.registration_id.clone(),
            wave => fill.wave,
            reason => fill.facts.reason,
            rank => fill.facts.rank,
            score => score,
            link => fill.link.clone(),
            link_expires => fill.link_expires.clone(),
        );
        let lang = language.as_str();
        let one = |suffix: &str| -> Result<String, TemplateError> {
            let name = format!("{lang}/{template}.{suffix}");
            self.env
                .get_template(&name)
                .and_then(|t| t.render(ctx.clone()))
                .map(|text| text.trim().to_owned())
                .map_err(|source| TemplateError { name, source })
        };
        Ok(match channel {
            Channel::Email => Rendered {
                subject: Some(one("subject")?),
                body: format!("{}\n", one("email")?),
            },
            Channel::Sms => Rendered {
                subject: None,
                body: one("sms")?,
            },
        })
    }
}

#[cfg(test)]
#[path = "templates_tests.rs"]
mod tests;
