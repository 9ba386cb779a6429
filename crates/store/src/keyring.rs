//! The versions of the data key a deployment holds: one current version for
//! every write, and the older ones still readable until `lonjak-ops keys
//! rotate` has rewritten everything sealed under them.

use std::collections::BTreeMap;

use crate::{DataKey, StoreError};

/// Data keys by version (1–255). `Debug` shows the versions, never a key;
/// every key is wiped from memory when the ring is dropped.
#[derive(Clone)]
pub struct KeyRing {
    current: u8,
    keys: BTreeMap<u8, DataKey>,
}

impl KeyRing {
    /// A ring of one key, version 1: a deployment that has never rotated.
    pub fn single(key: DataKey) -> Self {
        Self {
            current: 1,
            keys: BTreeMap::from([(1, key)]),
        }
    }

    /// `current` sealed under version `version`, plus the older `previous`
    /// keys for reading. Version 0 is refused (it would be ambiguous with an
    /// unset version), and so is a version given twice.
    pub fn new(
        version: u8,
        current: DataKey,
        previous: impl IntoIterator<Item = (u8, DataKey)>,
    ) -> Result<Self, StoreError> {
        let mut keys = BTreeMap::from([(version, current)]);
        for (v, key) in previous {
            if keys.insert(v, key).is_some() {
                return Err(StoreError::Config(format!(
                    "data key version {v} is configured twice"
                )));
            }
        }
        if keys.contains_key(&0) {
            return Err(StoreError::Config(
                "data key versions start at 1".to_owned(),
            ));
        }
        Ok(Self {
            current: version,
            keys,
        })
    }

    /// Parses `previous_data_keys`: `version:hex` pairs separated by commas
    /// (`1:ab…,2:cd…`).
    pub fn parse_previous(text: &str) -> Result<Vec<(u8, DataKey)>, StoreError> {
        text.split(',')
            .map(str::trim)
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (version, hex) = pair.split_once(':').ok_or_else(|| {
                    StoreError::Config("previous data keys are version:hex pairs".to_owned())
                })?;
                let version = version.trim().parse::<u8>().map_err(|_| {
                    StoreError::Config("a data key version is a number from 1 to 255".to_owned())
                })?;
                Ok((version, DataKey::from_hex(hex)?))
            })
            .collect()
    }

    /// The version every write uses.
    pub fn current_version(&self) -> u8 {
        self.current
    }

    /// Every version the ring can read, oldest first.
    pub fn versions(&self) -> Vec<u8> {
        self.keys.keys().copied().collect()
    }

    pub(crate) fn current(&self) -> &DataKey {
        // `new` and `single` always insert the current version.
        &self.keys[&self.current]
    }

    pub(crate) fn get(&self, version: u8) -> Option<&DataKey> {
        self.keys.get(&version)
    }
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("current", &self.current)
            .field("versions", &self.versions())
            .finish()
    }
}

impl From<DataKey> for KeyRing {
    fn from(key: DataKey) -> Self {
        Self::single(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> DataKey {
        DataKey::from_bytes(&[byte; 32]).expect("32 bytes")
    }

    #[test]
    fn previous_keys_parse_from_version_hex_pairs() {
        let text = format!("1:{}, 3:{}", "ab".repeat(32), "cd".repeat(32));
        let previous = KeyRing::parse_previous(&text).expect("parses");
        let ring = KeyRing::new(4, key(4), previous).expect("ring");
        assert_eq!(ring.versions(), vec![1, 3, 4]);
        assert_eq!(ring.current_version(), 4);
        assert!(KeyRing::parse_previous("1-abc").is_err());
        assert!(KeyRing::parse_previous(&format!("300:{}", "ab".repeat(32))).is_err());
        assert!(KeyRing::parse_previous("").expect("empty").is_empty());
    }

    #[test]
    fn a_version_given_twice_or_version_zero_is_refused() {
        assert!(KeyRing::new(2, key(2), [(2, key(3))]).is_err());
        assert!(KeyRing::new(0, key(2), []).is_err());
    }

    #[test]
    fn debug_shows_versions_but_no_key() {
        let ring = KeyRing::new(2, key(0x5a), [(1, key(0x5a))]).expect("ring");
        let shown = format!("{ring:?}");
        assert!(shown.contains("current: 2"), "{shown}");
        assert!(!shown.to_lowercase().contains("5a5a"), "{shown}");
    }
}
