#!/usr/bin/env bash
# Drain benchmark of the worker pipeline: fills the intake queue with COUNT
# registrations while no worker runs, then starts the verifier and times
# until every one is in a final state; then (SCORING=1, the default) starts
# the eligibility worker on the verified ones the verifier queued for it and
# times until none is left `verified` (scored or rejected): the scoring
# stage's throughput on its own. Everything runs on this machine (release
# build): RabbitMQ, PostgreSQL, the registry simulator, the workers.
#
#   loadtest/bench-drain.sh                 50,000 at zero registry latency
#   LATENCY_MS=20 JITTER_MS=10 SIM_RATE=1000 VERIFIER_RATE=1000 loadtest/bench-drain.sh
#
# Environment (defaults in brackets):
#   COUNT [50000]  LATENCY_MS [0]  JITTER_MS [0]
#   SIM_RATE [1000000] SIM_CONCURRENCY [100000]  (the simulated ministries' capacity)
#   VERIFIER_RATE [1000000]  (lonjak's outbound limit per registry)
#   BATCH_SIZE [200]  CONCURRENCY [4]  (worker.*)  DEADLINE_SECS [600]
#   SCORING [1]  (0: the verifier only)
# It uses a bus prefix and a database of its own (both removed at the end),
# so pg_stat_database counts only this run. Prints registrations per second,
# CPU per process, and PostgreSQL commits and rows per registration.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[bench-drain] %s\n' "$*" >&2; }

COUNT=${COUNT:-50000}
LATENCY_MS=${LATENCY_MS:-0}
JITTER_MS=${JITTER_MS:-0}
SIM_RATE=${SIM_RATE:-1000000}
SIM_CONCURRENCY=${SIM_CONCURRENCY:-100000}
VERIFIER_RATE=${VERIFIER_RATE:-1000000}
BATCH_SIZE=${BATCH_SIZE:-200}
CONCURRENCY=${CONCURRENCY:-4}
DEADLINE_SECS=${DEADLINE_SECS:-600}
SCORING=${SCORING:-1}

scripts/services.sh >/dev/null
# shellcheck source=../deploy/local/env.sh
source deploy/local/env.sh
stamp=$(date +%s)
db="lonjak_bench_${stamp}"
prefix="t$(printf '%016x' "$stamp")."
admin_url=${ADMIN_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
export LONJAK_DATABASE__URL="postgres://postgres:postgres@127.0.0.1:5432/${db}"
export LONJAK_BUS__PREFIX=$prefix
export LONJAK_WORKER__BATCH_SIZE=$BATCH_SIZE LONJAK_WORKER__CONCURRENCY=$CONCURRENCY
export LONJAK_SIM__LISTEN=127.0.0.1:18090 LONJAK_OPS__ADDR=127.0.0.1:19101
for r in DUKCAPIL DAPODIK DTKS; do
  export "LONJAK_SIM__${r}__LATENCY_MS=$LATENCY_MS" "LONJAK_SIM__${r}__LATENCY_JITTER_MS=$JITTER_MS"
  export "LONJAK_SIM__${r}__RATE_PER_SEC=$SIM_RATE" "LONJAK_SIM__${r}__MAX_CONCURRENT=$SIM_CONCURRENCY"
  export "LONJAK_REGISTRIES__${r}__URL=http://$LONJAK_SIM__LISTEN"
  export "LONJAK_REGISTRIES__${r}__RATE_PER_SEC=$VERIFIER_RATE"
done
export RUST_LOG=${RUST_LOG:-warn}
bin=target/release
out="loadtest/results/drain-${stamp}"
mkdir -p "$out"

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

say "building (release)"
cargo build --release --quiet --bin lonjak-verifier --bin lonjak-registry-sim --bin lonjak-ops \
  --bin lonjak-preload --bin lonjak-eligibility
psql -q "$admin_url" -c "CREATE DATABASE ${db}" >/dev/null
"$bin/lonjak-ops" migrate >"$out/migrate.log" 2>&1

nohup "$bin/lonjak-registry-sim" >"$out/registry-sim.log" 2>&1 &
sim_pid=$!; pids+=("$sim_pid")
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://$LONJAK_SIM__LISTEN/healthz" 2>/dev/null && break; sleep 0.1; done

say "preloading $COUNT registrations (no worker running)"
"$bin/lonjak-preload" "$COUNT" 1 | tee "$out/preload.txt"

q() { psql -qAt "$LONJAK_DATABASE__URL" -c "$1"; }
stats() { q "SELECT xact_commit, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = current_database()"; }
# utime+stime in clock ticks of every process named $1.
ticks() {
  local total=0 t
  for pid in $(pgrep -x "$1" || true); do
    t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total"
}
pid_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)

before=$(stats)
pg0=$(ticks postgres); mq0=$(ticks beam.smp); sim0=$(pid_ticks "$sim_pid")
idle0=$(awk '/^cpu /{print $5 + $6}' /proc/stat); all0=$(awk '/^cpu /{s=0; for (i=2;i<=NF;i++) s+=$i; print s}' /proc/stat)
t0=$(date +%s.%N)
LONJAK_SEAL__PRIVATE_KEY="$seal_private_key" nohup "$bin/lonjak-verifier" >"$out/verifier.log" 2>&1 &
verifier_pid=$!; pids+=("$verifier_pid")
say "verifier started; waiting for $COUNT final states"

finished=0; last=0; vticks=0
deadline=$(( $(date +%s) + DEADLINE_SECS ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  sleep 1
  vt=$(pid_ticks "$verifier_pid"); [ "$vt" -gt 0 ] && vticks=$vt
  done_now=$(q "SELECT count(*) FROM registrations WHERE status IN ('verified','rejected')")
  if [ "$done_now" != "$last" ]; then last=$done_now; fi
  if [ "$done_now" -ge "$COUNT" ]; then finished=1; break; fi
done
t1=$(date +%s.%N)
after=$(stats)
pg1=$(ticks postgres); mq1=$(ticks beam.smp); sim1=$(pid_ticks "$sim_pid")
idle1=$(awk '/^cpu /{print $5 + $6}' /proc/stat); all1=$(awk '/^cpu /{s=0; for (i=2;i<=NF;i++) s+=$i; print s}' /proc/stat)
curl -fsS "http://$LONJAK_SIM__LISTEN/stats" >"$out/registry-stats.json" 2>/dev/null || echo '{}' >"$out/registry-stats.json"
dlq=$(rabbitmqctl -q list_queues name messages 2>/dev/null | awk -v q="${prefix}verifier.dlq" '$1==q {print $2}')

python3 - "$COUNT" "$last" "$t0" "$t1" "$before" "$after" "$hz" \
  "$pg0" "$pg1" "$mq0" "$mq1" "$sim0" "$sim1" "$vticks" "$idle0" "$idle1" "$all0" "$all1" \
  "${dlq:-?}" "$LATENCY_MS" "$JITTER_MS" "$VERIFIER_RATE" "$BATCH_SIZE" "$CONCURRENCY" \
  "$out/registry-stats.json" <<'PY' | tee "$out/report.md"
import json, sys
(count, done, t0, t1, before, after, hz, pg0, pg1, mq0, mq1, sim0, sim1, vt,
 idle0, idle1, all0, all1, dlq, lat, jit, vrate, batch, conc, stats_file) = sys.argv[1:]
registry_stats = json.load(open(stats_file))
count, done = int(count), int(done)
secs = float(t1) - float(t0)
b = [int(x) for x in before.split('|')]; a = [int(x) for x in after.split('|')]
hz = int(hz)
cores = lambda t0, t1: (int(t1) - int(t0)) / hz / secs
busy = 1 - (int(idle1) - int(idle0)) / max(1, int(all1) - int(all0))
print(f"## Drain of {count:,} registrations")
print()
print(f"registry latency {lat} ± {jit} ms, lonjak's limit {vrate}/s per registry, "
      f"worker.batch_size {batch}, worker.concurrency {conc}")
print()
print("| figure | value |")
print("|---|---|")
print(f"| final states reached | {done:,} of {count:,} (dead letters: {dlq}) |")
print(f"| drain time | {secs:.1f} s |")
print(f"| registrations per second | {done / secs:,.0f} |")
print(f"| PostgreSQL commits per registration | {(a[0] - b[0]) / max(1, done):.3f} |")
print(f"| rows inserted per registration | {(a[1] - b[1]) / max(1, done):.2f} |")
print(f"| rows updated per registration | {(a[2] - b[2]) / max(1, done):.2f} |")
print(f"| CPU, PostgreSQL (all backends) | {cores(pg0, pg1):.2f} cores |")
print(f"| CPU, RabbitMQ | {cores(mq0, mq1):.2f} cores |")
print(f"| CPU, verifier | {int(vt) / hz / secs:.2f} cores |")
print(f"| CPU, registry simulator | {cores(sim0, sim1):.2f} cores |")
print(f"| machine busy | {busy * 100:.0f} % of 2 cores |")
for name, st in sorted(registry_stats.items()):
    if isinstance(st, dict) and "requests" in st:
        print(f"| {name}: calls, per second over the drain, busiest second, refused 429 | "
              f"{st['requests']:,}, {st['requests'] / secs:,.0f}/s, "
              f"{st.get('max_rate_per_sec_seen', '?')}/s, {st.get('rate_limited', 0):,} |")
PY
[ "$finished" = 1 ] || { say "not every registration reached a final state within ${DEADLINE_SECS}s"; exit 1; }
[ "$SCORING" = 1 ] || exit 0

# Scoring: the eligibility worker alone on the verified registrations the
# verifier left in its queue.
verified=$(q "SELECT count(*) FROM registrations WHERE status = 'verified'")
say "starting the eligibility worker on $verified verified registrations"
s0=$(date +%s.%N)
LONJAK_OPS__ADDR=127.0.0.1:19102 nohup "$bin/lonjak-eligibility" >"$out/eligibility.log" 2>&1 &
eligibility_pid=$!; pids+=("$eligibility_pid")
left=$verified; eticks=0
deadline=$(( $(date +%s) + DEADLINE_SECS ))
while [ "$left" -gt 0 ] && [ "$(date +%s)" -lt "$deadline" ]; do
  sleep 0.5
  et=$(pid_ticks "$eligibility_pid"); [ "$et" -gt 0 ] && eticks=$et
  left=$(q "SELECT count(*) FROM registrations WHERE status = 'verified'")
done
s1=$(date +%s.%N)
scored=$(q "SELECT count(*) FROM registrations WHERE status = 'scored'")
python3 - "$verified" "$left" "$scored" "$s0" "$s1" "$eticks" "$hz" <<'PY' | tee -a "$out/report.md"
import sys
verified, left, scored, s0, s1, et, hz = sys.argv[1:]
secs = float(s1) - float(s0)
done = int(verified) - int(left)
print()
print(f"## Scoring of {int(verified):,} verified registrations (eligibility worker alone)")
print()
print("| figure | value |")
print("|---|---|")
print(f"| left `verified` | {int(left):,} (scored: {int(scored):,}, the rest rejected) |")
print(f"| time, worker start included | {secs:.1f} s |")
print(f"| verified → scored or rejected per second | {done / secs:,.0f} |")
print(f"| CPU, eligibility worker | {int(et) / int(hz) / secs:.2f} cores |")
PY
[ "$left" = 0 ] || { say "scoring did not finish within ${DEADLINE_SECS}s"; exit 1; }
