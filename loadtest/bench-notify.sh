#!/usr/bin/env bash
# Notifier throughput as part of the whole-pipeline drain: fills the intake
# queue with COUNT registrations while no worker runs, then starts the
# verifier and the notifier together and times until every registration has
# its email (to the local SMTP server, maildev) and its SMS (to the SMS
# simulator). Everything on this machine, release build. Prints messages per
# second per channel, lonjak's configured rate per provider, the provider's
# 429s, and which limit held the notifier back.
#
#   loadtest/bench-notify.sh                                  2,000 registrations
#   EMAIL_RATE=1000 SMS_RATE=1000 SMS_CAPACITY=100 loadtest/bench-notify.sh
#
# Environment (defaults in brackets):
#   COUNT [2000]  EMAIL_RATE [200] SMS_RATE [200] (lonjak's limits, per second)
#   SMS_CAPACITY [1000] SMS_LATENCY_MS [20] (the simulated provider)
#   BATCH_SIZE [200] CONCURRENCY [4] (worker.*, both channels' loops)
#   SMS_PREFETCH [worker.*'s] (sms.worker.prefetch)  DEADLINE_SECS [900]
# Each channel has its own queue and loop (notify.email, notify.sms): the
# report gives when each finished, so a slow SMS provider shows as an SMS
# channel finishing late, not as slower email.
# It uses a bus prefix and a database of its own (both removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[bench-notify] %s\n' "$*" >&2; }

COUNT=${COUNT:-2000}
EMAIL_RATE=${EMAIL_RATE:-200}
SMS_RATE=${SMS_RATE:-200}
SMS_CAPACITY=${SMS_CAPACITY:-1000}
SMS_LATENCY_MS=${SMS_LATENCY_MS:-20}
BATCH_SIZE=${BATCH_SIZE:-200}
CONCURRENCY=${CONCURRENCY:-4}
DEADLINE_SECS=${DEADLINE_SECS:-900}

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
if [ -n "${SMS_PREFETCH:-}" ]; then export LONJAK_SMS__WORKER__PREFETCH=$SMS_PREFETCH; fi
export LONJAK_SIM__LISTEN=127.0.0.1:18090
export LONJAK_SMS_SIM__LISTEN=127.0.0.1:18091 LONJAK_SMS__URL=http://127.0.0.1:18091
export LONJAK_SMS_SIM__CAPACITY_PER_SEC=$SMS_CAPACITY LONJAK_SMS_SIM__LATENCY_MS=$SMS_LATENCY_MS
export LONJAK_SMS_SIM__LATENCY_JITTER_MS=$((SMS_LATENCY_MS / 2))
export LONJAK_EMAIL__RATE_PER_SEC=$EMAIL_RATE LONJAK_SMS__RATE_PER_SEC=$SMS_RATE
for r in DUKCAPIL DAPODIK DTKS; do
  export "LONJAK_SIM__${r}__LATENCY_MS=0" "LONJAK_SIM__${r}__LATENCY_JITTER_MS=0"
  export "LONJAK_SIM__${r}__RATE_PER_SEC=1000000" "LONJAK_SIM__${r}__MAX_CONCURRENT=100000"
  export "LONJAK_REGISTRIES__${r}__URL=http://$LONJAK_SIM__LISTEN"
  export "LONJAK_REGISTRIES__${r}__RATE_PER_SEC=1000000"
done
export RUST_LOG=${RUST_LOG:-warn}
bin=target/release
out="loadtest/results/notify-${stamp}"
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
  --bin lonjak-preload --bin lonjak-notifier --bin lonjak-sms-sim
psql -q "$admin_url" -c "CREATE DATABASE ${db}" >/dev/null
"$bin/lonjak-ops" migrate >"$out/migrate.log" 2>&1

start() { # name binary [VAR=value ...]
  local name=$1 binary=$2
  shift 2
  nohup env "$@" "$bin/$binary" >"$out/$name.log" 2>&1 &
  pids+=("$!")
}
start registry-sim lonjak-registry-sim
start sms-sim lonjak-sms-sim
for url in "http://$LONJAK_SIM__LISTEN/healthz" "http://$LONJAK_SMS_SIM__LISTEN/healthz"; do
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$url" 2>/dev/null && break; sleep 0.1; done
done

say "preloading $COUNT registrations (no worker running)"
"$bin/lonjak-preload" "$COUNT" 1 | tee "$out/preload.txt"

q() { psql -qAt "$LONJAK_DATABASE__URL" -c "$1"; }
sent() { q "SELECT count(*) FILTER (WHERE channel = 'email'), count(*) FILTER (WHERE channel = 'sms') FROM notifications WHERE state = 'sent'"; }
pid_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)

t0=$(date +%s.%N)
start verifier lonjak-verifier LONJAK_OPS__ADDR=127.0.0.1:19101 LONJAK_SEAL__PRIVATE_KEY="$seal_private_key"
start notifier lonjak-notifier LONJAK_OPS__ADDR=127.0.0.1:19103
notifier_pid=${pids[-1]}
say "verifier and notifier started; waiting for $COUNT emails and $COUNT SMS"

first_sent=""; finished=0; nticks=0; verified_at=""
deadline=$(( $(date +%s) + DEADLINE_SECS ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  sleep 1
  nt=$(pid_ticks "$notifier_pid"); [ "$nt" -gt 0 ] && nticks=$nt
  IFS='|' read -r emails sms <<<"$(sent)"
  if [ -z "$first_sent" ] && [ $((emails + sms)) -gt 0 ]; then first_sent=$(date +%s.%N); fi
  if [ -z "$verified_at" ] && [ "$(q "SELECT count(*) FROM registrations")" -ge "$COUNT" ]; then
    verified_at=$(date +%s.%N)
  fi
  if [ "$emails" -ge "$COUNT" ] && [ "$sms" -ge "$COUNT" ]; then finished=1; break; fi
done
t1=$(date +%s.%N)
curl -fsS "http://$LONJAK_SMS_SIM__LISTEN/stats" >"$out/sms-stats.json"
curl -fsS "http://127.0.0.1:19103/metrics" >"$out/notifier-metrics.txt" || true
failed=$(q "SELECT count(*) FROM notifications WHERE state <> 'sent'")
# Each channel's rate from the database's own send times (first to last).
span() { q "SELECT EXTRACT(EPOCH FROM max(sent_at) - min(sent_at)) FROM notifications WHERE state = 'sent' AND channel = '$1'"; }
email_span=$(span email); sms_span=$(span sms)
last() { q "SELECT EXTRACT(EPOCH FROM max(sent_at)) FROM notifications WHERE state = 'sent' AND channel = '$1'"; }
email_last=$(last email); sms_last=$(last sms)

python3 - "$COUNT" "$emails" "$sms" "$t0" "$t1" "${first_sent:-$t1}" "${verified_at:-$t1}" \
  "$nticks" "$hz" "$EMAIL_RATE" "$SMS_RATE" "$SMS_CAPACITY" "$SMS_LATENCY_MS" "$failed" \
  "$out/sms-stats.json" "$out/notifier-metrics.txt" "${email_span:-0}" "${sms_span:-0}" "${email_last:-$t1}" "${sms_last:-$t1}" <<'PY' | tee "$out/report.md"
import json, re, sys
(count, emails, sms, t0, t1, first, verified, nticks, hz, erate, srate, cap, lat, failed,
 stats_file, metrics_file, email_span, sms_span, email_last, sms_last) = sys.argv[1:]
count, emails, sms = int(count), int(emails), int(sms)
t0, t1, first, verified = float(t0), float(t1), float(first), float(verified)
sim = json.load(open(stats_file))
metrics = open(metrics_file).read()
def histogram_mean(channel):
    total = count_ = 0.0
    for line in metrics.splitlines():
        if line.startswith("lonjak_notifier_provider_call_duration_seconds_sum") and f'channel="{channel}"' in line:
            total += float(line.split()[-1])
        if line.startswith("lonjak_notifier_provider_call_duration_seconds_count") and f'channel="{channel}"' in line:
            count_ += float(line.split()[-1])
    return total / count_ * 1000 if count_ else float("nan")
# (n - 1) intervals between the first and the last send of a channel.
rate_e = (emails - 1) / max(float(email_span), 1e-9)
rate_s = (sms - 1) / max(float(sms_span), 1e-9)
def limit(rate, configured, throttled):
    if throttled:
        return f"the provider (429 × {throttled:,})"
    if rate >= 0.9 * configured:
        return "lonjak's own rate"
    return "the provider's answer time (no 429; calls in flight bounded by email.pool_size or the batch)"
print(f"## Notifier: {count:,} registrations through the whole pipeline")
print()
print(f"lonjak's limits: email {erate}/s, SMS {srate}/s; SMS provider capacity {cap}/s, "
      f"latency {lat} ms; SMTP: local maildev")
print()
print("| figure | email | SMS |")
print("|---|---|---|")
print(f"| messages sent | {emails:,} | {sms:,} |")
print(f"| messages per second (first send to last, database times) | {rate_e:,.1f} | {rate_s:,.1f} |")
print(f"| provider call, mean | {histogram_mean('email'):.1f} ms | {histogram_mean('sms'):.1f} ms |")
print(f"| limit reached | {limit(rate_e, int(erate), 0)} | {limit(rate_s, int(srate), sim.get('throttled', 0))} |")
print(f"| last message, seconds into the drain | {float(email_last) - t0:.1f} | {float(sms_last) - t0:.1f} |")
print()
print(f"whole drain {t1 - t0:.1f} s (every registration recorded after {verified - t0:.1f} s); "
      f"notifier CPU {int(nticks) / int(hz) / (t1 - t0):.2f} cores; messages not sent: {failed}")
PY
[ "$finished" = 1 ] || { say "not every message was sent within ${DEADLINE_SECS}s"; exit 1; }
