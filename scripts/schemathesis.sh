#!/usr/bin/env bash
# Schemathesis against the gateway's own /openapi.json: every operation is
# called with generated valid and invalid requests, and every answer must be
# a documented status with a body matching its documented schema, never a
# 5xx other than the documented 503. Bounded: MAX_EXAMPLES per operation and
# MAX_TIME seconds for the whole run.
#
# It installs schemathesis (PyPI, pinned) into target/tools/schemathesis on
# first use, starts its own gateway (debug build) on free ports against the
# local RabbitMQ with a throw-away queue prefix, and deletes its queues after.
#   scripts/schemathesis.sh                 # 100 examples per operation
#   MAX_EXAMPLES=1000 scripts/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
max_examples=${MAX_EXAMPLES:-100}
max_time=${MAX_TIME:-240}
version=4.32.5
venv=target/tools/schemathesis
amqp=${LONJAK_BUS__URL:-amqp://guest:guest@127.0.0.1:5672/%2f}

if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$version"; then
  echo "[schemathesis] installing schemathesis $version into $venv (pip, PyPI)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi
[ -x target/debug/lonjak-gateway ] || cargo build --quiet -p lonjak-gateway -p lonjak-bench

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
ops_port=$(free_port)
prefix="test-st-$(date +%s)-"
out=target/schemathesis
mkdir -p "$out"
# The local pipeline's development identity key and sealing public key
# (deploy/local/env.sh).
identity_key=$(
  # shellcheck source=../deploy/local/env.sh
  . deploy/local/env.sh
  echo "$LONJAK_IDENTITY__KEY"
)
seal_key=$(
  # shellcheck source=../deploy/local/env.sh
  . deploy/local/env.sh
  echo "$LONJAK_SEAL__PUBLIC_KEY"
)
# Limits out of the way: this run is about answers, not admission control.
env LONJAK_IDENTITY__KEY="$identity_key" LONJAK_SEAL__PUBLIC_KEY="$seal_key" LONJAK_HTTP__ADDR="127.0.0.1:$port" LONJAK_OPS__ADDR="127.0.0.1:$ops_port" \
  LONJAK_HTTP__DRAIN_DELAY_MS=0 LONJAK_BUS__URL="$amqp" LONJAK_BUS__PREFIX="$prefix" \
  LONJAK_DATABASE__URL= LONJAK_ADMISSION__CLIENT_PER_SEC=100000 \
  LONJAK_ADMISSION__CLIENT_BURST=100000 LONJAK_ADMISSION__STATUS_PER_SEC=100000 \
  LONJAK_ADMISSION__STATUS_BURST=100000 RUST_LOG=warn \
  target/debug/lonjak-gateway >"$out/gateway.log" 2>&1 &
gateway=$!
cleanup() {
  kill -TERM "$gateway" 2>/dev/null || true
  wait "$gateway" 2>/dev/null || true
  target/debug/lonjak-bench cleanup --bus-prefix "$prefix" --amqp-url "$amqp" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$ops_port/readyz" 2>/dev/null && break
  kill -0 "$gateway" 2>/dev/null || { cat "$out/gateway.log" >&2; exit 1; }
  sleep 0.2
done

# Every check but positive_data_acceptance ("schema-valid data must be
# accepted"): a JSON schema cannot state the cross-field rules (the NIK's
# digits must agree with birth_date, 18 or older on the day of submission,
# known province codes), so schema-valid bodies rightly get 422 and that
# answer is documented.
echo "[schemathesis] $max_examples examples per operation, at most ${max_time}s, gateway 127.0.0.1:$port"
"$venv/bin/st" run "http://127.0.0.1:$port/openapi.json" \
  --checks all --exclude-checks positive_data_acceptance \
  --max-examples "$max_examples" --max-time "$max_time" \
  --workers 2 --request-timeout 10 --seed 1 --no-color \
  --report junit --report-dir "$root/$out"
