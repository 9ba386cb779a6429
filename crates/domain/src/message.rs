//! Text written for people, in every language lonjak writes in.

use std::borrow::Cow;

use serde::Serialize;

use crate::Language;

/// One sentence in every [`Language`]. The only constructor takes both
/// texts, so no message can be added in one language alone; adding a
/// language adds a field here and a case to [`Message::get`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    en: Cow<'static, str>,
    id: Cow<'static, str>,
}

impl Message {
    /// A message from its English and its Indonesian text.
    pub fn new(en: impl Into<Cow<'static, str>>, id: impl Into<Cow<'static, str>>) -> Self {
        Self {
            en: en.into(),
            id: id.into(),
        }
    }

    /// The text in `language`.
    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::Id => &self.id,
            Language::En => &self.en,
        }
    }

    /// The English text.
    pub fn en(&self) -> &str {
        &self.en
    }

    /// The Indonesian text.
    pub fn id(&self) -> &str {
        &self.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_gets_its_own_text() {
        let message = Message::new("nik is required", format!("NIK {}", "wajib diisi"));
        assert_eq!(message.get(Language::En), "nik is required");
        assert_eq!(message.get(Language::Id), "NIK wajib diisi");
        assert_eq!(message.en(), message.get(Language::En));
        assert_eq!(message.id(), message.get(Language::Id));
    }

    #[test]
    fn a_message_serialises_with_one_key_per_language() {
        let json = serde_json::to_value(Message::new("a", "b")).expect("serialise");
        assert_eq!(json, serde_json::json!({"en": "a", "id": "b"}));
    }
}
