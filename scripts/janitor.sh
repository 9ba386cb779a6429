#!/usr/bin/env bash
# Deletes queues left on the local broker by interrupted test runs (names
# starting with a test prefix: `test-…` or `t<16 hex>.…`). Each quorum queue
# is a Raft group: hundreds of leftovers slow every broker restart. Run only
# when no tests are running (scripts/test.sh calls it first).
set -euo pipefail
# Several checkouts sharing one broker: only the last one to finish may sweep.
[ -n "${LONJAK_SKIP_JANITOR:-}" ] && { echo "[janitor] skipped (LONJAK_SKIP_JANITOR)"; exit 0; }
command -v rabbitmqctl >/dev/null || { echo "[janitor] rabbitmqctl not found; skipped"; exit 0; }
deleted=$(timeout 300 rabbitmqctl -q eval '
  {ok, RE} = re:compile("^(test-|t[0-9a-f]{16}\\.)"),
  Qs = [Q || Q <- rabbit_amqqueue:list(<<"/">>),
             re:run(element(4, amqqueue:get_name(Q)), RE) =/= nomatch],
  [catch rabbit_amqqueue:delete(Q, false, false, <<"janitor">>) || Q <- Qs],
  length(Qs).' 2>/dev/null || echo "?")
echo "[janitor] deleted $deleted leftover test queue(s)"

# The local mail server (maildev) keeps every message in memory and its API
# answers with all of them: after a few load tests (tens of thousands of
# messages) each look-up by address takes seconds and the notifier's tests
# run out of patience. Past MAIL_KEEP messages, the mailbox is emptied
# (tests and load tests send to made-up addresses of their own).
MAIL_KEEP=${MAIL_KEEP:-2000}
mail_api=${LONJAK_TEST_MAILDEV_URL:-http://127.0.0.1:1080}
if held=$(curl -fsS --max-time 60 "$mail_api/email" 2>/dev/null |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null); then
  if [ "$held" -gt "$MAIL_KEEP" ]; then
    curl -fsS --max-time 60 -X DELETE "$mail_api/email/all" >/dev/null &&
      echo "[janitor] emptied the local mailbox ($held messages, over $MAIL_KEEP)"
  fi
fi
