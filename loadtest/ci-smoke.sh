#!/usr/bin/env bash
# CI: brings the whole pipeline up, runs the smoke scenario and the zero-loss
# audit (any lost, duplicated or unexpected registration fails), stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/up.sh
# shellcheck source=../deploy/local/env.sh
source deploy/local/env.sh
status=0
loadtest/run.sh smoke || status=$?
scripts/down.sh
exit $status
