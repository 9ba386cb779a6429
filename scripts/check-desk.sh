#!/usr/bin/env bash
# The agents' console in a real browser: an ignored admin API test starts
# the API on its own database (real PostgreSQL and RabbitMQ), records an
# applicant and runs scripts/check-desk.mjs against /desk/ in headless
# Chromium at a phone's width: a refused look-up (the problem shown), an
# answer (masked), an action and a refusal; screenshots in docs/desk/.
#
#   scripts/check-desk.sh
#
# Needs chromium (Debian: apt-get install chromium) and node. Not part of
# .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v chromium >/dev/null || { echo "needs chromium (apt-get install chromium)" >&2; exit 2; }
command -v node >/dev/null || { echo "needs node" >&2; exit 2; }
export LONJAK_TEST_TEMPLATE=${LONJAK_TEST_TEMPLATE:-lonjak_test_template}
export LONJAK_CHECK_DESK_OUT=${LONJAK_CHECK_DESK_OUT:-$root/docs/desk}
cargo nextest run -p lonjak-admin --test api --run-ignored only \
  --no-capture -E 'test(the_console_in_headless_chromium)'
