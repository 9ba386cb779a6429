#!/usr/bin/env bash
# Brings the whole pipeline up on this machine and runs a demo burst:
#   1. RabbitMQ and PostgreSQL (scripts/services.sh: uses running ones, starts
#      installed ones, or installs them with apt-get when run as root);
#   2. builds every binary once (LONJAK_PROFILE=release for benchmarks);
#   3. applies database migrations (lonjak-ops migrate);
#   4. starts the registry simulator, the verifier, the eligibility worker,
#      the SMS simulator, the notifier, the admin API and the gateway in the
#      background,
#      logs and pids under .run/ (mail goes to the local mail server
#      scripts/services.sh starts);
#   5. sends sample registrations and prints the answers (scripts/demo.sh).
# Stop everything with scripts/down.sh. Settings: deploy/local/env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${LONJAK_PROFILE:-dev}
case "$profile" in
  release) build_flag=--release; bin=target/release ;;
  *) build_flag=; bin=target/debug ;;
esac
run=.run
mkdir -p "$run/logs" "$run/pids"

scripts/down.sh --quiet || true
scripts/services.sh
# shellcheck source=../deploy/local/env.sh
source deploy/local/env.sh

# LONJAK_PREBUILT=1: the binaries are already built (CI builds every target
# once; a `--bins` build would compile them again without the test features).
if [ -n "${LONJAK_PREBUILT:-}" ] && [ -x "$bin/lonjak-gateway" ]; then
  echo "[up] using the binaries already in $bin (LONJAK_PREBUILT)"
else
  echo "[up] building ($profile profile)"
  cargo build --workspace --bins $build_flag --quiet
fi

echo "[up] applying migrations"
"$bin/lonjak-ops" migrate >"$run/logs/migrate.log" 2>&1 || { cat "$run/logs/migrate.log"; exit 1; }

start() { # name binary niceness [-u VAR] [VAR=value ...]: settings for this process only
  local name=$1 binary=$2 niceness=$3
  shift 3
  nohup env "$@" nice -n "$niceness" "$bin/$binary" >"$run/logs/$name.log" 2>&1 &
  echo $! >"$run/pids/$name.pid"
  echo "[up] started $name (pid $!, log $run/logs/$name.log)"
}
wait_ready() { # name url
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$2" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "[up] $1 did not become ready at $2; last log lines:"; tail -n 20 "$run/logs/$1.log"; exit 1
}

# On one shared machine the gateway's answers are latency-critical and the
# workers' drain is throughput work: the workers (and the simulated
# ministries) yield CPU to the gateway (LONJAK_WORKER_NICE, default 10).
worker_nice=${LONJAK_WORKER_NICE:-10}
# Every service reads its ops listener (/metrics, /healthz, /readyz) from
# LONJAK_OPS__ADDR, so each process gets its own value here.
verifier_ops=${LONJAK_VERIFIER_OPS_ADDR:-127.0.0.1:9101}
eligibility_ops=${LONJAK_ELIGIBILITY_OPS_ADDR:-127.0.0.1:9102}
notifier_ops=${LONJAK_NOTIFIER_OPS_ADDR:-127.0.0.1:9103}
photo_check_ops=${LONJAK_PHOTO_CHECK_OPS_ADDR:-127.0.0.1:9104}
gateway_ops=${LONJAK_GATEWAY_OPS_ADDR:-127.0.0.1:9100}
start registry-sim lonjak-registry-sim "$worker_nice"
wait_ready registry-sim "http://$LONJAK_SIM__LISTEN/healthz"
# The verifier alone gets the key that opens sealed applicants.
start verifier lonjak-verifier "$worker_nice" LONJAK_OPS__ADDR="$verifier_ops" \
  LONJAK_SEAL__PRIVATE_KEY="$seal_private_key"
wait_ready verifier "http://$verifier_ops/readyz"
start eligibility lonjak-eligibility "$worker_nice" LONJAK_OPS__ADDR="$eligibility_ops"
wait_ready eligibility "http://$eligibility_ops/readyz"
start sms-sim lonjak-sms-sim "$worker_nice"
wait_ready sms-sim "http://$LONJAK_SMS_SIM__LISTEN/healthz"
start notifier lonjak-notifier "$worker_nice" LONJAK_OPS__ADDR="$notifier_ops"
wait_ready notifier "http://$notifier_ops/readyz"
start photo-check lonjak-photo-check "$worker_nice" LONJAK_OPS__ADDR="$photo_check_ops"
wait_ready photo-check "http://$photo_check_ops/readyz"
# The admin API: its own internal listener (LONJAK_ADMIN__ADDR), tokens from
# deploy/local/env.sh.
start admin lonjak-admin 0
wait_ready admin "http://$LONJAK_ADMIN__ADDR/readyz"
# No load balancer in front locally: no drain delay unless asked for.
# The gateway derives ids only: it is not given the look-up hashes' key.
start gateway lonjak-gateway 0 -u LONJAK_IDENTITY__LOOKUP_KEY LONJAK_OPS__ADDR="$gateway_ops" \
  LONJAK_HTTP__DRAIN_DELAY_MS="${LONJAK_HTTP__DRAIN_DELAY_MS:-0}"
wait_ready gateway "http://$gateway_ops/readyz"

scripts/demo.sh "http://$LONJAK_HTTP__ADDR"

cat <<MSG

lonjak is running:
  registrations   POST http://$LONJAK_HTTP__ADDR/v1/registrations
  status          GET  http://$LONJAK_HTTP__ADDR/v1/registrations/{id}
  API document         http://$LONJAK_HTTP__ADDR/openapi.json
  metrics              http://$gateway_ops/metrics (gateway; not on the public port)
                       http://$verifier_ops/metrics (verifier)
                       http://$eligibility_ops/metrics (eligibility)
                       http://$notifier_ops/metrics (notifier)
                       http://$photo_check_ops/metrics (photo-check)
                       http://$LONJAK_SIM__LISTEN/metrics (registry simulator)
  admin API            http://$LONJAK_ADMIN__ADDR/v1/… (bearer token: LONJAK_ADMIN_TOKEN in deploy/local/env.sh)
  waves, selection     target/…/lonjak-ops wave list | select --wave N | explain ID | funnel --wave N (through the admin API)
  photos          POST http://$LONJAK_HTTP__ADDR/v1/registrations/{id}/photos (upload URLs; S3 at 127.0.0.1:8333)
  mail                 http://127.0.0.1:1080 (what the notifier sent: the local mail server's page and /email API)
  SMS                  http://$LONJAK_SMS_SIM__LISTEN/v1/messages (what the SMS simulator accepted)
  email verification   GET  http://$LONJAK_HTTP__ADDR/v1/email-verifications/{token} (the link in each first mail)
  logs                 $run/logs/
Load tests: loadtest/README.md.  Stop everything: scripts/down.sh
MSG
