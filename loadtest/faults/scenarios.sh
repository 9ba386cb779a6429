# shellcheck shell=bash
# shellcheck disable=SC2154 # root, out, queues_before (fault.sh), run_dir, load_rc, load_pid (lib.sh)
# The fault scenarios (sourced by loadtest/fault.sh). Each one runs under the
# load started by load_start, injects its fault, restores what it disturbed
# (also registered with on_exit_restore, so a failure or ^C restores too),
# records its own checks, and leaves the audit to loadtest/run.sh.

bin() { echo "$root/target/debug/$1"; }
pg_version() { find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1; }
queue_messages() { # queue → messages, ready and unacked (rabbitmqctl, no plugin needed)
  rabbitmqctl -q list_queues name messages </dev/null 2>/dev/null | awk -v q="$1" '$1 == q { print $2 }'
}
# Messages of the verifier's work and retry queues, in hand or waiting.
verifier_backlog() {
  rabbitmqctl -q list_queues name messages </dev/null 2>/dev/null |
    awk -v p="${LONJAK_BUS__PREFIX:-}verifier" '$1 == p || index($1, p ".retry.") == 1 { n += $2 } END { print n + 0 }'
}
metric() { # url name-with-labels → value (0 when absent)
  curl -fsS --max-time 5 "$1" 2>/dev/null | awk -v m="$2" '$1 == m { v = $2 } END { print v + 0 }'
}
gateway_metrics() { echo "${GATEWAY_METRICS_URL:-http://${LONJAK_GATEWAY_OPS_ADDR:-127.0.0.1:9100}/metrics}"; }
check_fails() { # k6 check name → how many times it failed in this run
  python3 -c '
import json, sys
def walk(group):
    for c in group.get("checks", []):
        yield c
    for g in group.get("groups", []):
        yield from walk(g)
data = json.load(open(sys.argv[1]))
print(sum(c["fails"] for c in walk(data["root_group"]) if c["name"] == sys.argv[2]))
' "$run_dir/summary.json" "$1"
}

# 1. RabbitMQ stopped and started mid-run (rabbitmqctl stop_app/start_app).
scenario_broker_restart() {
  local down=${BROKER_DOWN_SECS:-10}
  local refused_before
  refused_before=$(metric "$(gateway_metrics)" 'lonjak_intake_requests_total{outcome="broker_unavailable"}')
  on_exit_restore "rabbitmqctl -q start_app >/dev/null 2>&1 || true"
  mark "rabbitmqctl stop_app"
  rabbitmqctl -q stop_app >/dev/null
  local stopped
  stopped=$(now)
  sleep "$down"
  mark "rabbitmqctl start_app (down ${down}s)"
  rabbitmqctl -q start_app >/dev/null
  local restored restored_ms
  restored=$(now)
  restored_ms=$(now_ms)
  mark "broker back after $(since "$stopped")s; gateway and workers ready after $(wait_recovered "$restored")s more"
  load_wait
  recovery "$restored_ms"
  local k6_503
  k6_503=$(grep -c 'REFUSED .* status=503' "$run_dir/accepted.log" || true)
  check "the gateway answered 503 while the broker was away ($k6_503 refusals)" test "$k6_503" -gt 0
  check "every refusal carried Retry-After ($(check_fails 'refused: Retry-After in seconds') without)" \
    test "$(check_fails 'refused: Retry-After in seconds')" = 0
  check "no request went unanswered and no 5xx other than 503 (k6 thresholds)" test "$load_rc" != 99
  local after
  after=$(metric "$(gateway_metrics)" 'lonjak_intake_requests_total{outcome="broker_unavailable"}')
  timeline+=("gateway broker_unavailable refusals during the run: $(awk -v a="$after" -v b="$refused_before" 'BEGIN { print a - b }')")
}

# 2. Each worker killed with SIGKILL every few seconds for a minute, and
#    restarted (as its supervisor would).
scenario_worker_kill() {
  local every=${KILL_EVERY_SECS:-5} for=${KILL_FOR_SECS:-60} kills=0 w killed took slowest=0
  local until=$(($(date +%s) + for))
  while [ "$(date +%s)" -lt "$until" ]; do
    for w in $(workers); do
      kill -KILL "$(worker_pid "$w")" 2>/dev/null && kills=$((kills + 1))
      killed=$(now)
      sleep 0.5
      restart_worker "$w"
      took=$(wait_recovered "$killed" 60 || true)
      slowest=$(awk -v a="$slowest" -v b="$took" 'BEGIN { print (b + 0 > a + 0 ? b : a) }')
    done
    sleep "$every"
  done
  local restored_ms
  restored_ms=$(now_ms)
  mark "$kills SIGKILLs over ${for}s (every ${every}s); each worker restarted 0.5 s later, ready again at most ${slowest}s after its kill"
  load_wait
  recovery "$restored_ms"
  check "every worker is running after the kills" all_workers_alive
}
all_workers_alive() {
  local w
  for w in $(workers); do kill -0 "$(worker_pid "$w")" 2>/dev/null || return 1; done
}

# 3. PostgreSQL stopped for 30 s.
scenario_postgres_stop() {
  local down=${PG_DOWN_SECS:-30} version id
  version=$(pg_version)
  # An id to look up (-m1: grep stops by itself, no SIGPIPE under pipefail).
  id=$(grep -m1 -oh 'ACCEPTED [0-9a-f]\{32\}' "$out"/faults-*/accepted.log 2>/dev/null | cut -d' ' -f2 || true)
  on_exit_restore "listening 5432 || detached pg_ctlcluster --skip-systemctl-redirect $version main start"
  mark "PostgreSQL $version stopped"
  pg_ctlcluster --skip-systemctl-redirect "$version" main stop -m fast
  local stopped
  stopped=$(now)
  local depth_before
  depth_before=$(queue_messages "${LONJAK_BUS__PREFIX:-}verifier")
  # Status look-ups during the outage: an answer (503), never a hang.
  local answers=() slow=0 code
  while awk -v s="$(since "$stopped")" -v d="$down" 'BEGIN { exit !(s < d - 2) }'; do
    code=$(curl -s -o /dev/null --max-time 10 -w '%{http_code}:%{time_total}' \
      "http://$LONJAK_HTTP__ADDR/v1/registrations/${id:-00000000000000000000000000000000}")
    answers+=("$code")
    [ "${code%%:*}" = 000 ] && slow=$((slow + 1))
    sleep 2
  done
  local depth_during
  depth_during=$(queue_messages "${LONJAK_BUS__PREFIX:-}verifier")
  sleep "$(awk -v s="$(since "$stopped")" -v d="$down" 'BEGIN { x = d - s; print (x > 0 ? x : 0) }')"
  detached pg_ctlcluster --skip-systemctl-redirect "$version" main start
  local restored restored_ms
  restored=$(now)
  restored_ms=$(now_ms)
  mark "PostgreSQL started after $(since "$stopped")s; gateway and workers ready after $(wait_recovered "$restored")s more"
  timeline+=("status look-ups during the outage (code:seconds): ${answers[*]}")
  timeline+=("intake queue depth at the stop / near the end of the outage: ${depth_before:-?} / ${depth_during:-?}")
  local not_503
  not_503=$(printf '%s\n' "${answers[@]}" | grep -vc '^503:' || true)
  check "status look-ups answered 503 during the outage, none hung (${#answers[@]} probes, $slow without answer)" \
    test "$not_503" = 0 -a "${#answers[@]}" -gt 0
  load_wait
  recovery "$restored_ms"
  local idle
  idle=$(psql "$LONJAK_DATABASE__URL" -Atqc \
    "select count(*) from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'")
  check "no connection left idle in a transaction after the drain ($idle)" test "$idle" = 0
}

# 4. A memory alarm under load: the watermark lowered, then restored.
scenario_memory_alarm() {
  local hold=${ALARM_SECS:-10} original blocked_before blocked_after
  original=$(rabbitmqctl -q eval 'vm_memory_monitor:get_vm_memory_high_watermark().' | tr -d '\r')
  case "$original" in
    \{absolute,*) on_exit_restore "rabbitmqctl -q set_vm_memory_high_watermark absolute $(tr -dc '0-9' <<<"$original") >/dev/null" ;;
    *) on_exit_restore "rabbitmqctl -q set_vm_memory_high_watermark $original >/dev/null" ;;
  esac
  blocked_before=$(metric "$(gateway_metrics)" 'lonjak_intake_requests_total{outcome="broker_blocked"}')
  mark "vm_memory_high_watermark $original → 0.0001 (memory alarm)"
  rabbitmqctl -q set_vm_memory_high_watermark 0.0001 >/dev/null
  local raised
  raised=$(now)
  sleep "$hold"
  run_restores_last
  local restored_ms
  restored_ms=$(now_ms)
  mark "watermark restored to $original after $(since "$raised")s"
  mark "gateway and workers ready $(wait_recovered "$(now)")s later"
  blocked_after=$(metric "$(gateway_metrics)" 'lonjak_intake_requests_total{outcome="broker_blocked"}')
  check "the gateway refused with 503 broker-blocked during the alarm ($(awk -v a="$blocked_after" -v b="$blocked_before" 'BEGIN { print a - b }'))" \
    awk -v a="$blocked_after" -v b="$blocked_before" 'BEGIN { exit !(a > b) }'
  load_wait
  recovery "$restored_ms"
  check "the workers drained everything after the alarm (audit drained)" audit_drained
}
# Runs (and forgets) the most recently registered restore step now.
run_restores_last() {
  local last=$((${#restores[@]} - 1))
  eval "${restores[$last]}"
  unset "restores[$last]"
  restores=("${restores[@]}")
}
audit_drained() { grep -q '"drain_secs": [0-9]' "$run_dir/audit.json" 2>/dev/null; }

# 5. A registry down for longer than the retry budget; then replay.
#    fault.sh starts the pipeline with short retry delays for this one.
scenario_registry_down() {
  local down=${REGISTRY_DOWN_SECS:-20} most=${REGISTRY_DOWN_MAX_SECS:-150}
  local registry=${REGISTRY:-dukcapil} sim="http://$LONJAK_SIM__LISTEN"
  local dlq="${LONJAK_BUS__PREFIX:-}verifier.dlq" before
  before=$(queue_messages "$dlq")
  if [ "${before:-0}" != 0 ]; then
    say "$dlq already holds $before dead letter(s): look at them (lonjak-ops dlq list verifier) and replay or remove them first"
    return 1
  fi
  on_exit_restore "curl -fsS -o /dev/null -X PUT '$sim/admin/config' -H 'content-type: application/json' -d '{\"down\": []}'"
  mark "$registry down (registry simulator answers 503 to everything)"
  curl -fsS -o /dev/null -X PUT "$sim/admin/config" -H 'content-type: application/json' \
    -d "{\"down\": [\"$registry\"]}"
  local went_down
  went_down=$(now)
  # Down for longer than the worker's retry budget, whatever it is: at least
  # $down seconds, and until the first messages have spent it.
  sleep "$down"
  while [ "$(queue_messages "$dlq")" = 0 ] &&
    awk -v s="$(since "$went_down")" -v m="$most" 'BEGIN { exit !(s < m) }'; do
    sleep 1
  done
  run_restores_last
  local restored_ms
  restored_ms=$(now_ms)
  mark "$registry back after $(since "$went_down")s"
  # Before replaying, let every message still on its way (in the work
  # queue, a retry queue or in hand) finish or be dead-lettered.
  local settled=0 depth
  for _ in $(seq 1 120); do
    if [ "$(verifier_backlog)" = 0 ]; then settled=$((settled + 1)); else settled=0; fi
    [ "$settled" -ge 3 ] && break
    sleep 1
  done
  depth=$(queue_messages "$dlq")
  mark "$depth dead letters in $dlq"
  "$(bin lonjak-ops)" dlq list verifier 5 >"$out/dlq-list.txt" 2>>"$out/ops.log" || true
  sed 's/^/    /' "$out/dlq-list.txt"
  check "messages were dead-lettered ($depth) with the registry's failure as the reason" \
    grep -q "reason=.*$registry" "$out/dlq-list.txt"
  local replayed
  replayed=$("$(bin lonjak-ops)" dlq replay verifier 2>>"$out/ops.log")
  mark "$replayed"
  check "the replay moved what was there and stopped" grep -q "^replayed $depth dead letter" <<<"$replayed"
  load_wait
  recovery "$restored_ms"
  check "after the replay every accepted registration reached a final state (audit)" audit_drained
  # A quorum queue's count catches up with acks a few seconds late.
  local left
  for _ in $(seq 1 20); do
    left=$(queue_messages "$dlq")
    [ "$left" = 0 ] && break
    sleep 1
  done
  check "the dead-letter queue is empty again ($left)" test "$left" = 0
}

# Deletes the (empty) retry queues this run declared that were not there
# before. (Quorum queues refuse `delete_queue --if-empty`: the count is
# checked here instead, with every consumer already stopped.)
delete_new_retry_queues() {
  local q
  comm -13 <(printf '%s\n' "$queues_before") <(rabbitmqctl -q list_queues name </dev/null | sort) |
    grep -E "^${LONJAK_BUS__PREFIX:-}(verifier|eligibility|notify\.email|notify\.sms)\.retry\." |
    while read -r q; do
      [ "$(queue_messages "$q")" = 0 ] || continue
      rabbitmqctl -q delete_queue "$q" </dev/null >/dev/null && say "deleted the retry queue $q it declared"
    done
}

# 6. Poison messages straight into each worker's queue.
scenario_poison() {
  local w q pids_before=() pid_list
  for w in $(workers); do pids_before+=("$(worker_pid "$w")"); done
  for w in $(workers); do
    q=$(worker_queue "$w")
    "$(bin lonjak-inject)" poison "$q" >"$out/poison-$q.txt" 2>>"$out/inject.log"
    # Whatever happens, the injected poison does not stay in the dead-letter queue.
    on_exit_restore "remove_poison $q >/dev/null"
    mark "poison into $q: $(cut -d' ' -f1 "$out/poison-$q.txt" | tr '\n' ' ')"
  done
  sleep 5
  for w in $(workers); do
    q=$(worker_queue "$w")
    "$(bin lonjak-ops)" dlq list "$q" 1000 >"$out/dlq-$q.txt" 2>>"$out/ops.log" || true
    local kind id
    while read -r kind id; do
      check "$kind in $q dead-lettered with a reason ($(grep "^$id" "$out/dlq-$q.txt" | grep -o 'reason=[^	]*'))" \
        grep -q "^$id	reason=[^-]" "$out/dlq-$q.txt"
    done <"$out/poison-$q.txt"
  done
  load_wait
  pid_list=""
  for w in $(workers); do pid_list+="$(worker_pid "$w") "; done
  check "no worker crashed or restarted (pids ${pids_before[*]} → $pid_list)" test "${pids_before[*]} " = "$pid_list"
  check "the queue kept flowing: the load drained (audit)" audit_drained
  for w in $(workers); do
    q=$(worker_queue "$w")
    mark "$q: $(remove_poison "$q") (the injected poison, from its dead-letter queue)"
  done
}
remove_poison() { # queue: removes this run's poison from the queue's dead letters
  local ids
  mapfile -t ids < <(cut -d' ' -f2 "$out/poison-$1.txt" 2>/dev/null)
  [ "${#ids[@]}" -gt 0 ] || return 0
  "$(bin lonjak-inject)" remove-dead-letters "$1" "${ids[@]}" 2>>"$out/inject.log"
}

# 7. Duplicate deliveries of real traffic, at once and late.
scenario_duplicates() {
  local w q for=${DUPLICATE_FOR_SECS:-25}
  for w in $(workers); do
    q=$(worker_queue "$w")
    "$(bin lonjak-inject)" duplicate "$q" --for-secs "$for" >"$out/duplicate-$q.txt" 2>>"$out/inject.log" &
  done
  mark "tapping each worker's traffic for ${for}s and delivering every message again (at once, then late)"
  wait_children_except_load
  for w in $(workers); do
    q=$(worker_queue "$w")
    mark "$q: $(cat "$out/duplicate-$q.txt")"
    check "duplicates were injected into $q" grep -q '^duplicated [1-9]' "$out/duplicate-$q.txt"
  done
  load_wait
  check "no effect applied twice: no repeated transition or outbox event (audit duplicated = 0)" \
    grep -q '"duplicated": 0' "$run_dir/audit.json"
}
wait_children_except_load() {
  local p
  for p in $(jobs -p); do [ "$p" = "$load_pid" ] || wait "$p" || true; done
}
