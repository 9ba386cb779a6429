#!/usr/bin/env bash
# Property tests of the intake path: every domain field parser and the
# gateway's decoding and validation of a whole request (no panic, no 5xx,
# round trips). They also run in scripts/test.sh with proptest's default 256
# cases; this runs them with more.
#   scripts/proptest.sh            # long run: 1,000,000 cases per property
#   scripts/proptest.sh 5000       # what CI runs
# A failure prints the minimal failing input; proptest saves its seed under
# proptest-regressions/ beside the test, to be committed with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-1000000}
echo "[proptest] $cases cases per property"
# The whole workspace is selected and filtered by package: features then
# resolve as in the test suite's build, which is reused instead of compiling
# the gateway's dependencies a second time.
PROPTEST_CASES=$cases cargo nextest run --workspace --lib \
  --no-tests=fail --test-threads 2 \
  -E '(package(lonjak-domain) | package(lonjak-gateway)) & test(/parser_props::|validate_props::|no_parser_panics|generated_valid_registrations/)'
