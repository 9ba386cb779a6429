//! Provider-side records of effects: what the outside world actually received.
//!
//! A provider stand-in (the SMS simulator, a reader of the mail catcher)
//! writes one line per message it received, `<registration_id> <key>`, where
//! the key names the message (for example `email:registration.verified`).
//! Blank lines and lines starting with `#` are ignored. The same (id, key) on
//! two lines is one notification sent twice: a duplicated effect the audit
//! reports under the provider's name.

use std::collections::{BTreeMap, BTreeSet};

/// Why a line of an effects file could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum EffectsError {
    #[error("line {0}: expected `<registration_id> <key>`")]
    Malformed(usize),
}

/// Ids that received the same effect more than once.
pub fn repeated_effects(text: &str) -> Result<BTreeSet<String>, EffectsError> {
    let mut counts: BTreeMap<(&str, &str), u32> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(id), Some(key), None) => *counts.entry((id, key)).or_default() += 1,
            _ => return Err(EffectsError::Malformed(n + 1)),
        }
    }
    Ok(counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|((id, _), _)| id.to_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_message_twice_for_one_id_is_a_repeat_and_different_messages_are_not() {
        let text = "# sms simulator\n\
                    a sms:registration.verified\n\
                    a email:registration.verified\n\
                    b sms:registration.rejected\n\
                    \n\
                    b sms:registration.rejected\n\
                    c sms:registration.verified\n";
        assert_eq!(
            repeated_effects(text).unwrap(),
            BTreeSet::from(["b".to_owned()])
        );
    }

    #[test]
    fn a_line_that_is_not_an_id_and_a_key_is_an_error() {
        assert_eq!(
            repeated_effects("a key\nlonely\n"),
            Err(EffectsError::Malformed(2))
        );
        assert_eq!(repeated_effects("a b c\n"), Err(EffectsError::Malformed(1)));
    }
}
