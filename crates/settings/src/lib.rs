#![doc = include_str!("../README.md")]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// The environment variable naming the settings file.
pub const CONFIG_FILE_VAR: &str = "LONJAK_CONFIG_FILE";

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// `LONJAK_CONFIG_FILE` names a file that does not exist.
    #[error("the settings file {} named by {CONFIG_FILE_VAR} does not exist", .0.display())]
    MissingFile(PathBuf),
    /// A layer could not be read, or the merged values do not fit the types.
    #[error("invalid settings")]
    Invalid(#[source] config::ConfigError),
}

/// Loads `T`: defaults (serde's, then `defaults`), then the file named by
/// `LONJAK_CONFIG_FILE`, then `LONJAK_SECTION__KEY` environment variables.
pub fn load<T: DeserializeOwned>(defaults: &[(&str, &str)]) -> Result<T, SettingsError> {
    let file = std::env::var_os(CONFIG_FILE_VAR).map(PathBuf::from);
    load_from(defaults, file.as_deref(), None)
}

/// [`load`] with an explicit file and environment (tests); `env: None`
/// reads the process environment.
pub fn load_from<T: DeserializeOwned>(
    defaults: &[(&str, &str)],
    file: Option<&Path>,
    env: Option<HashMap<String, String>>,
) -> Result<T, SettingsError> {
    let mut builder = config::Config::builder();
    for (key, value) in defaults {
        builder = builder
            .set_default(*key, *value)
            .map_err(SettingsError::Invalid)?;
    }
    if let Some(file) = file {
        if !file.is_file() {
            return Err(SettingsError::MissingFile(file.to_owned()));
        }
        builder = builder.add_source(
            config::File::from(file)
                .format(config::FileFormat::Toml)
                .required(true),
        );
    }
    // No `try_parsing`: every value stays a string until a field asks for a
    // number or a boolean, so a prefix such as `007` is kept as typed.
    let environment = config::Environment::with_prefix("LONJAK")
        .prefix_separator("_")
        .separator("__")
        .source(env);
    builder
        .add_source(environment)
        .build()
        .and_then(config::Config::try_deserialize)
        .map_err(SettingsError::Invalid)
}

/// Serde helper for list fields: a list in a file, or a comma-separated
/// string in an environment variable (`LONJAK_BUS__RETRY_DELAYS_MS=1000,5000`).
pub mod list {
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw<T> {
        List(Vec<T>),
        Text(String),
    }

    /// Deserializes `Vec<T>` from a list or from `"a, b, c"`.
    pub fn deserialize<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de> + FromStr,
        T::Err: std::fmt::Display,
    {
        match Raw::<T>::deserialize(deserializer)? {
            Raw::List(list) => Ok(list),
            Raw::Text(text) => text
                .split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(|part| part.parse::<T>().map_err(serde::de::Error::custom))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests;
