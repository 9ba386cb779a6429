#!/usr/bin/env bash
# The whole test suite: starts RabbitMQ and PostgreSQL if needed, then runs
# every test against them. Tests named `disruptive_*` stop, restart or
# reconfigure the broker: they run afterwards, one at a time.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "[test] cargo-nextest not found; installing it (cargo install cargo-nextest --locked)"
  cargo install cargo-nextest --locked
fi
scripts/janitor.sh
scripts/check-domain-deps.sh

status=0
echo "== tests (concurrent)"
cargo nextest run --workspace --no-fail-fast --no-tests=warn -E 'not test(/disruptive_/)' "$@" || status=1
echo "== tests that disturb the broker or database (one at a time)"
cargo nextest run --workspace --no-fail-fast --no-tests=warn -E 'test(/disruptive_/)' --test-threads 1 "$@" || status=1
scripts/janitor.sh
exit $status
