#!/usr/bin/env bash
# The accept path's cost, measured from outside (docs/benchmarks.md):
#   1. the broker's own ceiling: lonjak-rawpub, pipelined confirmed publishes
#      of 300-byte messages to a quorum queue (and of a real registration
#      event with the gateway's publish options), with the broker's CPU per
#      message;
#   2. the gateway: wrk, CONNECTIONS connections, every request a distinct
#      valid registration (wrk/registrations.lua), limits raised, no consumer;
#      accepted per second, and broker and gateway CPU per accepted one.
# Prints both ratios: accepted rate ÷ raw rate, broker µs per registration ÷
# broker µs per raw message. Starts its own gateway on free ports with a
# throw-away queue prefix and deletes its queues after. Needs the machine to
# itself (measures performance). Installs wrk with apt-get if missing.
#   services/bench/accept-cost.sh                  # 15 s per phase, 64 connections
#   DURATION=30 CONNECTIONS=256 services/bench/accept-cost.sh
#   PROFILE=1 services/bench/accept-cost.sh         # also perf-record the gateway
#   GATEWAY_WORKERS=1 ...                            # actix worker threads (0: one per core)
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${DURATION:-15}
connections=${CONNECTIONS:-64}
threads=${WRK_THREADS:-2}
amqp=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
out=${OUT_DIR:-target/accept-cost}
mkdir -p "$out"

command -v wrk >/dev/null || { echo "[cost] installing wrk (apt-get)"; apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet -p lonjak-gateway -p lonjak-bench
bin=target/release
broker=$(pgrep -f 'beam.smp.*rabbit' | head -1)
[ -n "$broker" ] || { echo "[cost] no RabbitMQ (beam.smp) process found" >&2; exit 1; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "[cost] $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); broker pid $broker"
raw_small=$("$bin/lonjak-rawpub" --seconds "$duration" --broker-pid "$broker" --label "300 B, default exchange")
echo "$raw_small"
raw_reg=$("$bin/lonjak-rawpub" --seconds "$duration" --broker-pid "$broker" --body registration \
  --mandatory --headers --label "registration event, the gateway's options")
echo "$raw_reg"

port=$(free_port)
ops=$(free_port)
prefix="test-cost-$(date +%s)-"
env LONJAK_HTTP__ADDR="127.0.0.1:$port" LONJAK_OPS__ADDR="127.0.0.1:$ops" \
  LONJAK_HTTP__DRAIN_DELAY_MS=0 LONJAK_BUS__URL="$amqp" LONJAK_BUS__PREFIX="$prefix" \
  LONJAK_IDENTITY__KEY="${LONJAK_IDENTITY__KEY:-6c6f6e6a616b2d646576656c6f706d656e742d6b65792d6e6f742d7365637265}" \
  LONJAK_SEAL__PUBLIC_KEY="${LONJAK_SEAL__PUBLIC_KEY:-L2Hd8oPnVFm1va9MwxlzPkyJR8vJNBKmUqKB1Snt6zU}" \
  LONJAK_BUS__INTAKE_MAX_LENGTH=50000000 LONJAK_DATABASE__URL= \
  LONJAK_ADMISSION__GLOBAL_PER_SEC=10000000 LONJAK_ADMISSION__GLOBAL_BURST=10000000 \
  LONJAK_ADMISSION__CLIENT_PER_SEC=10000000 LONJAK_ADMISSION__CLIENT_BURST=10000000 \
  LONJAK_ADMISSION__MAX_INFLIGHT=100000 LONJAK_HTTP__WORKERS="${GATEWAY_WORKERS:-0}" RUST_LOG=warn \
  "$bin/lonjak-gateway" >"$out/gateway.log" 2>&1 &
gateway=$!
cleanup() {
  kill -TERM "$gateway" 2>/dev/null || true
  wait "$gateway" 2>/dev/null || true
  "$bin/lonjak-bench" cleanup --bus-prefix "$prefix" --amqp-url "$amqp" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$ops/readyz" 2>/dev/null && break
  sleep 0.2
done
accepted() { curl -fsS "http://127.0.0.1:$ops/metrics" | awk '/^lonjak_intake_requests_total\{outcome="accepted"\}/ {print $2}'; }
# A short warm-up: connections, limiter state and the queue exist first.
WRK_THREADS=$threads wrk -t"$threads" -c"$connections" -d2s -s services/bench/wrk/registrations.lua \
  "http://127.0.0.1:$port" >/dev/null
a0=$(accepted); b0=$(ticks "$broker"); g0=$(ticks "$gateway"); t0=$(date +%s.%N)
if [ -n "${PROFILE:-}" ]; then
  perf record -F 499 -g -p "$gateway" -o "$out/perf.data" -- sleep "$((duration - 2))" >/dev/null 2>&1 &
  perf=$!
fi
WRK_THREADS=$threads wrk -t"$threads" -c"$connections" -d"${duration}s" \
  -s services/bench/wrk/registrations.lua "http://127.0.0.1:$port" | tee "$out/wrk.txt"
a1=$(accepted); b1=$(ticks "$broker"); g1=$(ticks "$gateway"); t1=$(date +%s.%N)
[ -z "${perf:-}" ] || wait "$perf" || true
echo "[cost] gateway outcomes: $(curl -fsS "http://127.0.0.1:$ops/metrics" | grep '^lonjak_intake_requests_total' | tr '\n' ' ')"
sleep 6 # quorum queue counts reach list_queues with a few seconds' delay
queued=$(rabbitmqctl list_queues -q name messages 2>/dev/null | awk -v q="${prefix}verifier" '$1 == q {print $2}')

python3 - "$raw_small" "$raw_reg" "$a0" "$a1" "$b0" "$b1" "$g0" "$g1" "$t0" "$t1" "$queued" <<'PY'
import re, sys
raw_small, raw_reg = sys.argv[1], sys.argv[2]
a0, a1, b0, b1, g0, g1, t0, t1 = map(float, sys.argv[3:11])
queued = sys.argv[11]
def rate(line): return float(re.search(r"= (\d+) msg/s", line).group(1))
def broker_us(line): return float(re.search(r"broker ([\d.]+) µs/msg", line).group(1))
n = a1 - a0
secs = t1 - t0
acc = n / secs
b_us = (b1 - b0) / 100 * 1e6 / n
g_us = (g1 - g0) / 100 * 1e6 / n
print(f"[cost] accepted {n:.0f} in {secs:.1f} s = {acc:.0f}/s; accepted in all (with warm-up) {a1:.0f}, intake queue holds {queued}")
print(f"[cost] per accepted registration: broker {b_us:.1f} µs, gateway {g_us:.1f} µs "
      f"(broker {(b1-b0)/100/secs:.2f} cores, gateway {(g1-g0)/100/secs:.2f} cores)")
print(f"[cost] ratio accepted / raw confirmed rate: {acc:.0f} / {rate(raw_small):.0f} = {acc / rate(raw_small):.2f} (goal ≥ 0.5)")
print(f"[cost] ratio broker µs per registration / per raw message: {b_us:.1f} / {broker_us(raw_small):.1f} = {b_us / broker_us(raw_small):.2f} (goal ≤ 1.5)")
PY
if [ -n "${PROFILE:-}" ]; then
  perf report -i "$out/perf.data" --no-children -g none --percent-limit 0.7 --sort dso,symbol --stdio 2>/dev/null | grep "%" | cut -c1-160 >"$out/perf-top.txt" || true
  echo "[cost] profile: $out/perf.data, top symbols in $out/perf-top.txt"
fi
