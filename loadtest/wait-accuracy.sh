#!/usr/bin/env bash
# How right is the wait the 202 receipt announces? Brings the local pipeline
# up (scripts/up.sh, its own database and queue prefix), sends RATE
# registrations/s for DURATION, and compares each 202's
# `estimated_wait_seconds` with the time its registration actually left
# `queued` (status_history). Optionally pauses the verifier mid-run, so the
# drain rate changes while estimates are being given.
#
#   loadtest/wait-accuracy.sh before|after
#     before: estimates from this replica's own broker samples (the old way,
#             LONJAK_WAITROOM__SHARED_DRAIN=false)
#     after:  estimates from the shared, measured drain rate (the default)
#
# Environment: CLIENT [k6]: k6's smoke scenario with the zero-loss audit,
# or crowd (lonjak-crowd, a client that costs the machine far less CPU);
# RATE [1000], DURATION [10s], DRAIN_RATE [400]: the verifier's
# outbound limit per registry, so that a backlog builds (this machine's
# pipeline otherwise drains about as fast as k6 sends); PAUSE_AT / PAUSE_SECS [unset]:
# SIGSTOP the verifier PAUSE_AT seconds after the load starts, SIGCONT it
# PAUSE_SECS later. LONJAK_PROFILE [dev] (release for benchmarks).
# POLL_RATE [20]: besides k6's load, that many registrations/s (wave + 1,
# loadtest/lib/poll-status.mjs) whose senders check their status every 2 s
# while queued, passing the receipt's queue_mark as the page does: each
# check's wait is compared with what was left of the wait at that moment.
# Results: loadtest/results/wait-<mode>-<wave>/ (accuracy.md, estimates.csv,
# polls.csv).
# Run it alone on the machine: it owns ports 8080/9100/9101/8090.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
mode=${1:-after}
case "$mode" in
  before) export LONJAK_WAITROOM__SHARED_DRAIN=false ;;
  after) export LONJAK_WAITROOM__SHARED_DRAIN=true ;;
  *) echo "usage: $0 before|after" >&2; exit 2 ;;
esac
say() { printf '[wait-accuracy] %s\n' "$*"; }

# Its own database and queues: nothing of anyone else's is touched.
export LONJAK_DATABASE__URL=${WAIT_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/lonjak_waitbench}
export LONJAK_BUS__PREFIX=${WAIT_BUS_PREFIX:-waitbench-}
admin_url=${LONJAK_DATABASE__URL%/*}/postgres
db_name=${LONJAK_DATABASE__URL##*/}
if [ "$(psql "$admin_url" -Atqc "select 1 from pg_database where datname = '$db_name'")" != 1 ]; then
  psql "$admin_url" -qc "create database $db_name" >/dev/null
fi

bin=target/debug
[ "${LONJAK_PROFILE:-dev}" = release ] && bin=target/release
export LONJAK_VERIFIER_RATE=${DRAIN_RATE:-400}
# The status checkers send X-Forwarded-For: one address per person.
export LONJAK_ADMISSION__TRUSTED_PROXIES=127.0.0.1
# Start from an idle pipeline, as a fresh `scripts/up.sh` does: a run that
# begins while eligibility and the notifier still work through an earlier
# run's registrations measures a drain that shares the machine with them
# (back to back, the drain's pace varied threefold between runs; the
# notifier alone keeps at it for minutes after each run). With rabbitmqctl
# (root or the rabbitmq user) this prefix's queues are purged before the
# pipeline starts; without it, the run waits until nothing of any wave is
# left queued, verifying or verified and the notifier's count has not
# changed for three seconds (IDLE_MAX_SECS [600]).
# shellcheck source=lib/purge-queues.sh
source "$here/lib/purge-queues.sh"
purged=
if purge_prefix_queues "$LONJAK_BUS__PREFIX"; then
  purged=1
  say "purged the $LONJAK_BUS__PREFIX queues (earlier runs' leftovers)"
fi
say "bringing the pipeline up ($mode, verifier limited to $LONJAK_VERIFIER_RATE/s)"
trap 'scripts/down.sh --quiet' EXIT
scripts/up.sh >/tmp/wait-accuracy-up.log 2>&1 || { tail -n 30 /tmp/wait-accuracy-up.log; exit 1; }
if [ -z "$purged" ]; then
  idle_since=$SECONDS; stable=0; last=
  while [ $((SECONDS - idle_since)) -lt "${IDLE_MAX_SECS:-600}" ]; do
    now=$(psql "$LONJAK_DATABASE__URL" -Atq -F ' ' -c "select \
      (select count(*) from registrations where status in ('queued','verifying','verified')), \
      (select count(*) from notifications)")
    if [ "${now%% *}" = 0 ] && [ "$now" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
    [ "$stable" -ge 3 ] && break
    last=$now
    sleep 1
  done
  say "pipeline idle after $((SECONDS - idle_since)) s (left in flight, notifications: ${now:-?})"
fi

wave=$(( $(date +%s) % 1000000 ))
out="$here/results/wait-$mode-$wave"
mkdir -p "$out"
pauser=
if [ -n "${PAUSE_AT:-}" ]; then
  verifier=$(cat .run/pids/verifier.pid)
  ( sleep "$PAUSE_AT"; kill -STOP "$verifier"; sleep "${PAUSE_SECS:-5}"; kill -CONT "$verifier" ) &
  pauser=$!
fi
# What the estimates divide by, each second, beside the real rate
# (drain.log: time, shared rate, seconds stalled, running count of those
# left `queued`, the same counted from status_history, intake depth as
# the gateway sees it): which part of the estimate is off.
(
  while [ -e .run/pids/gateway.pid ]; do
    depth=$(curl -s --max-time 1 http://127.0.0.1:9100/metrics | awk '$1 == "lonjak_intake_queue_depth" {print $2}')
    row=$(psql "$LONJAK_DATABASE__URL" -Atq -F ' ' -c "select extract(epoch from clock_timestamp()), \
      round(per_sec::numeric, 1), coalesce(round(extract(epoch from now() - stalled_since)::numeric, 1), 0), total_left, \
      (select count(*) from status_history where from_status = 'queued' and to_status = 'verifying') \
      from intake_drain" 2>/dev/null || true)
    [ -n "$row" ] && echo "$row ${depth:-0}"
    sleep 1
  done
) >"$out/drain.log" &
drain_sampler=$!
say "load: ${RATE:-1000}/s for ${DURATION:-10s}, wave $wave"
secs=${DURATION:-10s}
RATE=${POLL_RATE:-20} DURATION_SECS=${secs%s} MAX_SECS=300 \
  node "$here/lib/poll-status.mjs" http://127.0.0.1:8080 $((wave + 1)) "$out" >"$out/poll.log" 2>&1 &
poller=$!
if [ "${CLIENT:-k6}" = crowd ]; then
  # The same arrivals from lonjak-crowd (one tokio task per person, DIRECT=1:
  # submit, and resubmit after Retry-After when refused): a client that
  # costs little CPU, so the pipeline is not starved by its own load
  # generator while the burst lasts (k6 took half a core for 1,000/s here).
  CROWD=$(( ${RATE:-1000} * ${secs%s} )) JOIN_SECS=${secs%s} FORM_SECS=0 DIRECT=1 WAVE=$wave \
    MAX_SECS=120 RECEIPTS_OUT="$out/estimates.csv" \
    "$bin/lonjak-crowd" "$out/crowd.json" >"$out/run.log" 2>&1 ||
    say "lonjak-crowd failed (see $out/run.log)"
  say "waiting for the drain (every receipt's registration to leave queued)"
  receipts=0
  [ -f "$out/estimates.csv" ] && receipts=$(wc -l <"$out/estimates.csv")
  for _ in $(seq 1 300); do
    left=$(psql "$LONJAK_DATABASE__URL" -Atqc "select count(*) from status_history h \
      join registrations r on r.id = h.registration_id where r.wave_id = $wave \
      and h.from_status = 'queued' and h.to_status = 'verifying'")
    [ "$left" -ge "$receipts" ] && break
    sleep 1
  done
  say "$left of $receipts receipts' registrations have left queued"
else
# Enough k6 VUs to offer RATE while the gateway answers in tens of ms
# (smoke's default of 50 offered about 940/s of 2,000).
# The status checker's registrations reach the same gateway's counters.
PRE_VUS=${PRE_VUS:-100} MAX_VUS=${MAX_VUS:-400} OTHERS_MAX=$(( ${POLL_RATE:-20} * ${secs%s} + 1 )) \
LOG_ESTIMATES=1 WAVE=$wave RESULTS_DIR="$out" RATE=${RATE:-1000} DURATION=${DURATION:-10s} \
  P99_MS=60000 MAX_DROPPED=1000000 DUP_SHARE=0 INVALID_SHARE=0 AUDIT_DEADLINE_SECS=600 \
  "$here/run.sh" smoke >"$out/run.log" 2>&1 || say "run.sh reported a failure (see $out/run.log)"
fi
if [ -n "$pauser" ]; then wait "$pauser" 2>/dev/null || true; fi
wait "$poller" || say "the status checker failed (see $out/poll.log)"
kill "$drain_sampler" 2>/dev/null || true

if [ "${CLIENT:-k6}" != crowd ]; then
  grep -ho 'ESTIMATE [0-9a-f]* [0-9]* [0-9a-z.]*' "$out"/smoke-*/accepted.log |
    awk '{print $2","$3","$4}' >"$out/estimates.csv"
fi
psql "$LONJAK_DATABASE__URL" -Atqc "\\copy (select h.registration_id, \
  (extract(epoch from h.at) * 1000)::bigint from status_history h \
  join registrations r on r.id = h.registration_id \
  where r.wave_id in ($wave, $((wave + 1))) and h.from_status = 'queued' and h.to_status = 'verifying') \
  to '$out/left_queued.csv' csv"
python3 "$here/lib/wait_accuracy.py" "$out/estimates.csv" "$out/left_queued.csv" \
  "mode=$mode rate=${RATE:-1000}/s duration=${DURATION:-10s} pause=${PAUSE_AT:-none}+${PAUSE_SECS:-0}s" \
  "$out/polls.csv" | tee "$out/accuracy.md"
