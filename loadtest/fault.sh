#!/usr/bin/env bash
# One fault scenario under load, start to finish, on this machine only:
# brings the pipeline up (scripts/up.sh), starts a steady load with
# re-submissions and invalid bodies (loadtest/run.sh faults: k6, sampler,
# audit), injects the fault, restores what it disturbed (also on failure or
# ^C), stops the pipeline, and prints the scenario's checks and the audit.
#
#   loadtest/fault.sh SCENARIO        one of the scenarios below
#   loadtest/fault.sh quick           the quick ones in a row (CI)
#   loadtest/fault.sh all             every scenario in a row
#
# Scenarios (docs/reliability.md has what each shows and measured figures):
#   broker-restart   RabbitMQ stop_app / start_app mid-run      (BROKER_DOWN_SECS=10)
#   worker-kill      SIGKILL each worker every few seconds      (KILL_EVERY_SECS=5, KILL_FOR_SECS=60)
#   postgres-stop    PostgreSQL stopped                         (PG_DOWN_SECS=30)
#   memory-alarm     vm_memory_high_watermark lowered, restored (ALARM_SECS=10)
#   registry-down    a registry down past the retry budget, then dlq replay
#                                                               (REGISTRY=dukcapil, REGISTRY_DOWN_SECS=20)
#   poison           invalid JSON, unknown schema version, missing fields into each queue
#   duplicates       every message delivered again, at once and late (DUPLICATE_FOR_SECS=25)
#   key-rotation     the data key rotated under load: two rolling restarts of its
#                    holders, keys rotate, keys verify with the new key alone
#
# Load knobs: RATE (100/s), DURATION (40s, longer for worker-kill and
# postgres-stop), DUP_SHARE (0.3), INVALID_SHARE (0.1), AUDIT_DEADLINE_SECS
# (180), FINAL_STATES, AUDIT_EFFECTS (providers' records, see loadtest/README.md).
# Workers: FAULT_WORKERS (name:queue:ops-address …; the verifier today).
# Needs the exclusive machine lock: it stops and reconfigures the shared
# broker and database and binds the pipeline's ports.
#
# Exit status: 0 when the scenario's checks and the audit pass, 1 otherwise.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

QUICK=(broker-restart poison duplicates memory-alarm)
ALL=(broker-restart worker-kill postgres-stop memory-alarm registry-down poison duplicates key-rotation)

usage() {
  echo "usage: $0 broker-restart|worker-kill|postgres-stop|memory-alarm|registry-down|poison|duplicates|key-rotation|quick|all" >&2
  exit 2
}
[ $# = 1 ] || usage
case "$1" in
  quick | all)
    if [ "$1" = quick ]; then set -- "${QUICK[@]}"; else set -- "${ALL[@]}"; fi
    status=0
    summary=()
    for s in "$@"; do
      started=$(date +%s)
      if "$0" "$s"; then r=PASS; else r=FAIL; status=1; fi
      summary+=("$r $s ($(($(date +%s) - started)) s)")
    done
    printf '[fault] %s\n' "${summary[@]}"
    exit $status
    ;;
  broker-restart | worker-kill | postgres-stop | memory-alarm | registry-down | poison | duplicates | key-rotation) ;;
  *) usage ;;
esac
scenario=$1

# shellcheck source=../deploy/local/env.sh
source deploy/local/env.sh
# shellcheck source=faults/lib.sh
source loadtest/faults/lib.sh
# shellcheck source=faults/scenarios.sh
source loadtest/faults/scenarios.sh
# shellcheck source=faults/key_rotation.sh
source loadtest/faults/key_rotation.sh

# Load defaults for fault runs: the issue's mix of re-submissions and invalid bodies.
export DUP_SHARE=${DUP_SHARE:-0.3} INVALID_SHARE=${INVALID_SHARE:-0.1}
case "$scenario" in
  worker-kill) DURATION=${DURATION:-75s} ;;
  postgres-stop) DURATION=${DURATION:-50s} ;;
  # Two rolling restarts of four services (2 s each, the notifier up to
  # 18 s on a busy machine) and a rotation pass, all under load.
  key-rotation) DURATION=${DURATION:-90s} ;;
  registry-down)
    # A short retry budget (two delayed retries, 1 s and 2 s) and a short
    # circuit cool-down, so that the registry's outage outlasts the budget
    # within a short run. With the verifier's default cool-down (5 s) its
    # deliveries fail through an open circuit at about concurrency / 5 s,
    # and a 40 s load needs minutes to spend its retries.
    export LONJAK_BUS__RETRY_DELAYS_MS=${LONJAK_BUS__RETRY_DELAYS_MS:-1000,2000}
    registry_env=$(tr '[:lower:]' '[:upper:]' <<<"${REGISTRY:-dukcapil}")
    export "LONJAK_REGISTRIES__${registry_env}__BREAKER_COOL_DOWN_MS=${BREAKER_COOL_DOWN_MS:-500}"
    ;;
esac
export DURATION=${DURATION:-40s}

out="$root/loadtest/results/fault-$scenario-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
trap 'run_restores' EXIT
trap 'exit 130' INT TERM
set -E
trap 'say "stopped: line $LINENO of ${BASH_SOURCE[0]#"$root"/} failed: $BASH_COMMAND"' ERR
say "scenario $scenario; results in ${out#"$root"/}"

for tool in rabbitmqctl psql curl; do
  command -v "$tool" >/dev/null || { say "$tool is needed"; exit 1; }
done
if [ "$scenario" = registry-down ]; then
  # The short retry delays declare retry queues of their own: they go again
  # once the pipeline is down (registered first, so it runs last).
  queues_before=$(rabbitmqctl -q list_queues name | sort)
  on_exit_restore "delete_new_retry_queues"
fi
# scripts/up.sh builds every binary (lonjak-inject and lonjak-ops too).
pipeline_up
load_start
"scenario_${scenario//-/_}"
[ -n "${run_dir:-}" ] || load_wait
summarise "$scenario"
