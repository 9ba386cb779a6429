#!/usr/bin/env bash
# Stops what scripts/up.sh started (SIGTERM, so each service drains first).
# RabbitMQ, PostgreSQL, the mail server and the object store (SeaweedFS)
# are left running.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
quiet=${1:-}
for pidfile in .run/pids/gateway.pid .run/pids/admin.pid .run/pids/verifier.pid .run/pids/eligibility.pid \
  .run/pids/notifier.pid .run/pids/photo-check.pid .run/pids/sms-sim.pid .run/pids/registry-sim.pid; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  name=$(basename "$pidfile" .pid)
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    [ "$quiet" = --quiet ] || echo "[down] stopped $name"
  fi
  rm -f "$pidfile"
done
