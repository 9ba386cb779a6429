#!/usr/bin/env bash
# Supply chain: licences (permissive only, nothing GPL/AGPL), banned and
# duplicate crate versions, and sources (crates.io only), per deny.toml.
# Installs cargo-deny from crates.io when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo deny --version >/dev/null 2>&1; then
  echo "[deny] cargo-deny not found; installing it (cargo install cargo-deny --locked)"
  cargo install cargo-deny --locked --quiet
fi
# Advisories need the advisory database from the network: not checked here.
cargo deny --log-level error check licenses bans sources
