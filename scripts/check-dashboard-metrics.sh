#!/usr/bin/env bash
# Every metric the Grafana dashboard reads must exist in a live scrape of the
# running services: run it after scripts/up.sh (CI does), against the fixed
# local ports (brief of the project: docs/configuration.md). Prints each
# metric as ok or MISSING and fails when one is missing.
#
# A family without samples is not exported at all, so first it sends a few
# fresh registrations through the pipeline, with the simulated DTKS failing
# until its first error is counted (then healed), so that the registry
# latency, error and circuit families have samples.
#
# RabbitMQ's per-queue metrics come from its Prometheus plugin
# (rabbitmq_prometheus, port 15692). When the plugin is off, this script
# enables it for the scrape and disables it again afterwards (root only);
# the broker keeps running throughout.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=deploy-tools.sh
source scripts/deploy-tools.sh
py="$DEPLOY_TOOLS_BIN/python"

names=$(mktemp)
enabled_here=
cleanup() {
  rm -f "$names"
  if [ -n "$enabled_here" ]; then
    echo "[dashboard-metrics] disabling rabbitmq_prometheus again (it was off before)"
    rabbitmq-plugins disable --quiet rabbitmq_prometheus >/dev/null || true
  fi
}
trap cleanup EXIT

"$py" scripts/deploy/dashboard.py names k8s/base/monitoring/dashboards/lonjak.json >"$names"

gateway=http://127.0.0.1:8080 sim=http://127.0.0.1:8090
sim_errors() { curl -fsS "$sim/stats" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["dtks"]["errors"])'; }
if curl -fsS -o /dev/null "$sim/healthz" 2>/dev/null && curl -fsS -o /dev/null "$gateway/openapi.json" 2>/dev/null; then
  echo "[dashboard-metrics] sending 3 fresh registrations, DTKS failing until its first error"
  before=$(sim_errors)
  curl -fsS -o /dev/null -X PUT "$sim/admin/config" -H 'content-type: application/json' -d '{"dtks": {"error_rate": 1.0}}'
  wave=$((100000 + RANDOM * 10 + RANDOM % 10))
  for i in 1 2 3; do
    nik=317101450190$(printf '%04d' $((RANDOM % 10000)))
    curl -fsS -o /dev/null -X POST "$gateway/v1/registrations" -H 'content-type: application/json' \
      -d "$(sed "s/3171014501900001/$nik/; s/}\$/, \"wave\": $wave}/" deploy/local/samples/siti.json | tr -d '\n')" ||
      echo "[dashboard-metrics] registration $i was not accepted"
  done
  for _ in $(seq 1 50); do [ "$(sim_errors)" -gt "$before" ] && break; sleep 0.1; done
  curl -fsS -o /dev/null -X PUT "$sim/admin/config" -H 'content-type: application/json' -d '{"dtks": {"error_rate": 0.0}}'
  sleep 5 # the verifier's own retries (backoff up to 2 s) now succeed
else
  echo "[dashboard-metrics] the pipeline is not running (scripts/up.sh): scraping what answers"
fi

if ! curl -fsS -o /dev/null http://127.0.0.1:15692/metrics 2>/dev/null; then
  if command -v rabbitmq-plugins >/dev/null && [ "$(id -u)" -eq 0 ]; then
    echo "[dashboard-metrics] enabling rabbitmq_prometheus for the scrape"
    rabbitmq-plugins enable --quiet rabbitmq_prometheus >/dev/null
    enabled_here=1
    for _ in $(seq 1 50); do curl -fsS -o /dev/null http://127.0.0.1:15692/metrics 2>/dev/null && break; sleep 0.2; done
  else
    echo "[dashboard-metrics] RabbitMQ's Prometheus plugin is off and cannot be enabled here"
  fi
fi

# Gateway ops (9100; its public 8080 too, where /metrics was before the ops
# listener), workers' ops ports, simulators, and RabbitMQ per queue.
"$py" scripts/deploy/dashboard.py scrape "$names" \
  http://127.0.0.1:9100/metrics \
  http://127.0.0.1:8080/metrics \
  http://127.0.0.1:9101/metrics \
  http://127.0.0.1:9102/metrics \
  http://127.0.0.1:9103/metrics \
  http://127.0.0.1:9104/metrics \
  http://127.0.0.1:8090/metrics \
  http://127.0.0.1:8091/metrics \
  http://127.0.0.1:15692/metrics/per-object
