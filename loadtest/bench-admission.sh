#!/usr/bin/env bash
# Admission control under overload (issue 3): builds in release, starts a
# gateway on 127.0.0.1 with a fresh bus prefix and known limits, drives it
# open-loop at 1×, 3× and 10× its sustainable rate S with lonjak-bench, then
# stops it and deletes its queues. No consumer runs: the bench checks that the
# intake queue gained exactly one message per 202.
#
#   loadtest/bench-admission.sh [S]            levels LEVELS × S [S = 3000]
#   loadtest/bench-admission.sh --calibrate    find S: no global limit, rising
#                                              rates (CAL_RATE × CAL_LEVELS)
#
# Environment (defaults in brackets):
#   LEVELS [1,3,10]  DURATION_SECS [20]  PAUSE_SECS [3]
#   PORT [18088]  WORKERS (actix workers, 0 = one per core) [0]
#   GATEWAY_MAX_INFLIGHT [2000]  GEN_MAX_INFLIGHT (generator bound) [2000]
#   CLIENTS [50000]  HOT_CLIENTS [10]  HOT_SHARE (percent) [1.0]
#   CLIENT_PER_SEC [5]  CLIENT_BURST [10]   (the gateway's per-client limit)
#   CAL_RATE [500]  CAL_LEVELS [2,4,6,8,10,12]  (calibration: 1,000–6,000/s)
#   AMQP_URL [amqp://guest:guest@127.0.0.1:5672/%2f]
# Results: loadtest/results/admission-<time>/ (report .md/.json, gateway log).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
say() { printf '[bench-admission] %s\n' "$*" >&2; }

calibrate=0
if [ "${1:-}" = "--calibrate" ]; then
  calibrate=1
  shift
fi
S=${1:-3000}
[[ "$S" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [S] | --calibrate" >&2; exit 2; }

LEVELS=${LEVELS:-1,3,10}
DURATION_SECS=${DURATION_SECS:-20}
PAUSE_SECS=${PAUSE_SECS:-3}
PORT=${PORT:-18088}
WORKERS=${WORKERS:-0}
GATEWAY_MAX_INFLIGHT=${GATEWAY_MAX_INFLIGHT:-2000}
GEN_MAX_INFLIGHT=${GEN_MAX_INFLIGHT:-2000}
CLIENTS=${CLIENTS:-50000}
HOT_CLIENTS=${HOT_CLIENTS:-10}
HOT_SHARE=${HOT_SHARE:-1.0}
CLIENT_PER_SEC=${CLIENT_PER_SEC:-5}
CLIENT_BURST=${CLIENT_BURST:-10}
AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
# Large enough never to be reached here: this benchmark measures the limiters.
INTAKE_MAX_LENGTH=2000000

if [ "$calibrate" = 1 ]; then
  # No global limit: find the rate the confirmed publish path sustains.
  global=1000000
  S=${CAL_RATE:-500}
  LEVELS=${CAL_LEVELS:-2,4,6,8,10,12}
  DURATION_SECS=${DURATION_SECS_CAL:-10}
else
  global=$S
fi
burst=$(( global / 10 > 0 ? global / 10 : 1 ))  # 100 ms worth of the global rate

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$here/results/admission-$stamp"
mkdir -p "$out"
prefix="bench.$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')."

say "building (release)"
(cd "$root" && cargo build --release --quiet -p lonjak-gateway -p lonjak-bench)
bin="${CARGO_TARGET_DIR:-$root/target}/release"

if ss -ltn | grep -q "127.0.0.1:$PORT "; then
  echo "port $PORT is taken; set PORT" >&2
  exit 2
fi

gateway_pid=
cleanup() {
  if [ -n "$gateway_pid" ]; then
    kill -TERM "$gateway_pid" 2>/dev/null || true
    wait "$gateway_pid" 2>/dev/null || true
  fi
  "$bin/lonjak-bench" cleanup --amqp-url "$AMQP_URL" --bus-prefix "$prefix" || true
}
trap cleanup EXIT

gateway_env=(
  LONJAK_HTTP__ADDR="127.0.0.1:$PORT"
  LONJAK_HTTP__WORKERS="$WORKERS"
  LONJAK_BUS__URL="$AMQP_URL"
  LONJAK_IDENTITY__KEY="${LONJAK_IDENTITY__KEY:-6c6f6e6a616b2d646576656c6f706d656e742d6b65792d6e6f742d7365637265}"
  # The development sealing key (deploy/local/env.sh): the gateway seals each applicant.
  LONJAK_SEAL__PUBLIC_KEY="${LONJAK_SEAL__PUBLIC_KEY:-L2Hd8oPnVFm1va9MwxlzPkyJR8vJNBKmUqKB1Snt6zU}"
  LONJAK_BUS__PREFIX="$prefix"
  LONJAK_BUS__INTAKE_MAX_LENGTH="$INTAKE_MAX_LENGTH"
  LONJAK_DATABASE__URL=
  LONJAK_ADMISSION__GLOBAL_PER_SEC="$global"
  LONJAK_ADMISSION__GLOBAL_BURST="$burst"
  LONJAK_ADMISSION__CLIENT_PER_SEC="$CLIENT_PER_SEC"
  LONJAK_ADMISSION__CLIENT_BURST="$CLIENT_BURST"
  LONJAK_ADMISSION__MAX_INFLIGHT="$GATEWAY_MAX_INFLIGHT"
  LONJAK_ADMISSION__TRUSTED_PROXIES=127.0.0.1
  LONJAK_OPS__ADDR=127.0.0.1:0
  RUST_LOG=warn
)
say "starting the gateway on 127.0.0.1:$PORT, bus prefix $prefix"
env "${gateway_env[@]}" "$bin/lonjak-gateway" >"$out/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null && break
  kill -0 "$gateway_pid" 2>/dev/null || { cat "$out/gateway.log" >&2; exit 1; }
  sleep 0.2
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" || { echo "gateway not ready" >&2; exit 1; }

config="global ${global}/s burst ${burst}; per client ${CLIENT_PER_SEC}/s burst ${CLIENT_BURST}; \
max in flight ${GATEWAY_MAX_INFLIGHT}; http workers ${WORKERS} (0 = one per core); \
intake max length ${INTAKE_MAX_LENGTH}; trusted proxy 127.0.0.1; RUST_LOG=warn; status look-ups off"
cmd=("$bin/lonjak-bench" run --rate "$S" --levels "$LEVELS" --duration-secs "$DURATION_SECS"
  --pause-secs "$PAUSE_SECS" --url "http://127.0.0.1:$PORT" --max-inflight "$GEN_MAX_INFLIGHT"
  --clients "$CLIENTS" --hot-clients "$HOT_CLIENTS" --hot-share "$HOT_SHARE"
  --amqp-url "$AMQP_URL" --bus-prefix "$prefix" --intake-max-length "$INTAKE_MAX_LENGTH"
  --gateway "$config" --gateway-pid "$gateway_pid" --out-dir "$out")
# The broker is shared with other work on this machine: note anything it did
# during the run (restarts, alarms) that would make the figures meaningless.
broker_log=/var/log/rabbitmq/rabbit@localhost.log
log_lines=$( (wc -l <"$broker_log") 2>/dev/null || echo 0)
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"${cmd[@]}" | tee "$out/stdout.md"
if [ -r "$broker_log" ]; then
  events=$(tail -n +"$((log_lines + 1))" "$broker_log" |
    grep -E "vhost is stopping|alarm set|Stopping RabbitMQ|watermark set" || true)
  if [ -n "$events" ]; then
    say "WARNING: the broker was disturbed during the run; the figures are not valid:"
    printf '%s\n' "$events" | tee "$out/broker-events.txt" >&2
  else
    say "broker log: no restart or resource alarm during the run"
  fi
fi
say "results in $out"
