//! The loader's layering and its refusals.

use std::collections::HashMap;
use std::io::Write;

use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize)]
struct Settings {
    #[serde(default)]
    bus: Bus,
    ops: Ops,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
struct Bus {
    prefix: String,
    delivery_limit: u32,
    #[serde(deserialize_with = "list::deserialize")]
    retry_delays_ms: Vec<u64>,
    declare: bool,
}

impl Default for Bus {
    fn default() -> Self {
        Self {
            prefix: String::new(),
            delivery_limit: 5,
            retry_delays_ms: vec![5_000],
            declare: true,
        }
    }
}

#[derive(Debug, Deserialize)]
struct Ops {
    addr: String,
}

fn env(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

const OPS: [(&str, &str); 1] = [("ops.addr", "127.0.0.1:9101")];

#[test]
fn section_defaults_and_service_defaults_fill_what_nothing_else_sets() {
    let s: Settings = load_from(&OPS, None, env(&[])).expect("settings");
    assert_eq!(s.ops.addr, "127.0.0.1:9101");
    assert_eq!(s.bus.delivery_limit, 5);
    assert_eq!(s.bus.retry_delays_ms, vec![5_000]);
}

#[test]
fn environment_variables_override_nested_keys_numbers_booleans_and_lists() {
    let s: Settings = load_from(
        &OPS,
        None,
        env(&[
            ("LONJAK_BUS__DELIVERY_LIMIT", "9"),
            ("LONJAK_BUS__RETRY_DELAYS_MS", "1000, 2000"),
            ("LONJAK_BUS__DECLARE", "false"),
            ("LONJAK_OPS__ADDR", "0.0.0.0:9"),
        ]),
    )
    .expect("settings");
    assert_eq!(s.bus.delivery_limit, 9);
    assert_eq!(s.bus.retry_delays_ms, vec![1_000, 2_000]);
    assert!(!s.bus.declare);
    assert_eq!(s.ops.addr, "0.0.0.0:9");
}

#[test]
fn a_prefix_of_digits_is_kept_as_typed() {
    let s: Settings =
        load_from(&OPS, None, env(&[("LONJAK_BUS__PREFIX", "007")])).expect("settings");
    assert_eq!(s.bus.prefix, "007");
}

#[test]
fn a_file_overrides_defaults_and_the_environment_overrides_the_file() {
    let dir = std::env::temp_dir().join(format!("lonjak-settings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("lonjak.toml");
    let mut file = std::fs::File::create(&path).expect("file");
    writeln!(
        file,
        "[bus]\ndelivery_limit = 7\nretry_delays_ms = [10, 20]\nprefix = \"f.\"\n[ops]\naddr = \"127.0.0.1:1\""
    )
    .expect("write");

    let s: Settings =
        load_from(&OPS, Some(&path), env(&[("LONJAK_BUS__PREFIX", "e.")])).expect("settings");

    assert_eq!(s.bus.delivery_limit, 7);
    assert_eq!(s.bus.retry_delays_ms, vec![10, 20]);
    assert_eq!(s.bus.prefix, "e.");
    assert_eq!(s.ops.addr, "127.0.0.1:1");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_named_file_that_does_not_exist_is_an_error() {
    let missing = Path::new("/nonexistent/lonjak.toml");
    let result: Result<Settings, _> = load_from(&OPS, Some(missing), env(&[]));
    assert!(
        matches!(result, Err(SettingsError::MissingFile(ref p)) if p == missing),
        "{result:?}"
    );
}

#[test]
fn a_value_that_does_not_fit_its_type_is_an_error_naming_the_key() {
    let result: Result<Settings, _> =
        load_from(&OPS, None, env(&[("LONJAK_BUS__DELIVERY_LIMIT", "many")]));
    let error = result.expect_err("refused");
    let chain = format!("{:?}", std::error::Error::source(&error));
    assert!(chain.contains("delivery_limit"), "{chain}");
}

#[test]
fn a_required_key_without_default_is_an_error() {
    let result: Result<Settings, _> = load_from(&[], None, env(&[]));
    assert!(matches!(result, Err(SettingsError::Invalid(_))));
}
