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
