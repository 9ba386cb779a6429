# shellcheck shell=bash
# shellcheck disable=SC2154 # root and out are set by loadtest/fault.sh
# What every fault scenario shares (sourced by loadtest/fault.sh): the
# pipeline up and down, the load in the background, the list of workers,
# readiness and recovery timing, restoring on any exit, and the summary.

say() { printf '[fault] %s\n' "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Runs a command that leaves a server behind (pg_ctlcluster start) with every
# descriptor above 2 closed: the server must not inherit the machine lock's
# descriptor (a `flock` around the whole run, say), or it holds the lock for as long as
# it lives.
detached() {
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      n=${fd##*/}
      [ "$n" -gt 2 ] && eval "exec $n>&-" 2>/dev/null
    done
    exec "$@"
  )
}

# Workers the scenarios kill, poison and wait for: name:queue:ops-address.
# The verifier today; add eligibility (9102), notifier (9103) and photo-check
# (9104) here, or through FAULT_WORKERS, as they land.
FAULT_WORKERS=${FAULT_WORKERS:-verifier:verifier:${LONJAK_VERIFIER_OPS_ADDR:-127.0.0.1:9101}}
workers() { tr ' ' '\n' <<<"$FAULT_WORKERS" | cut -d: -f1; }
worker_queue() { tr ' ' '\n' <<<"$FAULT_WORKERS" | awk -F: -v w="$1" '$1 == w { print $2 }'; }
worker_ops() { tr ' ' '\n' <<<"$FAULT_WORKERS" | awk -F: -v w="$1" '$1 == w { print $3 ":" $4 }'; }
worker_pid() { cat "$root/.run/pids/$1.pid" 2>/dev/null; }

# Restore actions, run in reverse order on any exit (success, failure, ^C).
restores=()
on_exit_restore() { restores+=("$1"); }
run_restores() {
  local i
  for ((i = ${#restores[@]} - 1; i >= 0; i--)); do
    eval "${restores[$i]}" || say "restore step failed: ${restores[$i]}"
  done
  restores=()
}

# Brings the pipeline up (scripts/up.sh: build, migrations, services) and
# arranges for scripts/down.sh on exit. The up log goes to the results.
pipeline_up() {
  say "bringing the pipeline up (log: ${out#"$root"/}/up.log)"
  on_exit_restore "'$root/scripts/down.sh' --quiet"
  if ! "$root/scripts/up.sh" >"$out/up.log" 2>&1; then
    tail -n 30 "$out/up.log"
    say "the pipeline did not come up"
    return 1
  fi
}

ready() { curl -fsS -o /dev/null --max-time 2 "http://$1/readyz" 2>/dev/null; }

# Every worker and the gateway answer /readyz: prints seconds since $1.
wait_recovered() { # since [timeout-secs]
  local start=$1 limit=${2:-120} w
  while :; do
    local all=1
    ready "${LONJAK_GATEWAY_OPS_ADDR:-127.0.0.1:9100}" || all=0
    for w in $(workers); do ready "$(worker_ops "$w")" || all=0; done
    if [ "$all" = 1 ]; then since "$start"; return 0; fi
    if awk -v s="$(since "$start")" -v l="$limit" 'BEGIN { exit !(s > l) }'; then
      echo "not-recovered"; return 1
    fi
    sleep 0.2
  done
}

# Restarts one worker the way scripts/up.sh started it (a pod restart).
restart_worker() { # name
  local name=$1 bin="$root/target/debug"
  [ "${LONJAK_PROFILE:-dev}" = release ] && bin="$root/target/release"
  # Each service reads its ops listener from LONJAK_OPS__ADDR (scripts/up.sh).
  LONJAK_OPS__ADDR=$(worker_ops "$name") \
    nohup nice -n "${LONJAK_WORKER_NICE:-10}" "$bin/lonjak-$name" >>"$root/.run/logs/$name.log" 2>&1 &
  echo $! >"$root/.run/pids/$name.pid"
  # Not this shell's job any more: its SIGKILL is the scenario, not news.
  disown $!
}

# The load: loadtest/run.sh faults in the background (k6 + sampler + audit),
# into $out. Knobs: RATE, DURATION, DUP_SHARE, INVALID_SHARE, AUDIT_DEADLINE_SECS.
load_start() {
  say "load: ${RATE:-100}/s for ${DURATION:-40s}, ${DUP_SHARE}× re-submissions, ${INVALID_SHARE}× invalid"
  # The notifier runs in the pipeline: the audit also reads the mail server
  # and the SMS simulator, for every final state's message exactly once.
  RESULTS_DIR="$out" RATE=${RATE:-100} DURATION=${DURATION:-40s} \
    AUDIT_DEADLINE_SECS=${AUDIT_DEADLINE_SECS:-180} \
    AUDIT_EFFECTS=${AUDIT_EFFECTS-"email=http://127.0.0.1:1080 sms=http://${LONJAK_SMS_SIM__LISTEN:-127.0.0.1:8091}"} \
    "$root/loadtest/run.sh" faults >"$out/load.log" 2>&1 &
  load_pid=$!
  load_started=$(now)
  on_exit_restore "kill -INT $load_pid 2>/dev/null; wait $load_pid 2>/dev/null"
  # Let k6 start before anything is injected.
  sleep "${WARMUP_SECS:-8}"
}

# Waits for the load and its audit; the run's directory is $run_dir.
load_wait() {
  load_rc=0
  wait "$load_pid" || load_rc=$?
  run_dir=$(find "$out" -mindepth 1 -maxdepth 1 -type d -name 'faults-*' -print -quit)
}

now_ms() { date +%s%3N; }

# Recovery after a fault restored at unix ms $1, from the run's samples (one a
# second): when the gateway accepted again, and when the intake queue was
# empty again (the workers caught up). Adds both to the timeline.
recovery() { # restored-ms
  local samples="$run_dir/samples.csv" line
  [ -f "$samples" ] || return 0
  line=$(awk -F, -v t="$1" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == "accepted") col = i; next }
    $1 < t { if ($col != "") prev = $col; next }
    intake == "" && $col != "" && prev != "" && $col > prev { intake = ($1 - t) / 1000 }
    $col != "" { prev = $col }
    drained == "" && $2 == "0" { drained = ($1 - t) / 1000 }
    END { printf "%s %s", (intake == "" ? "never" : sprintf("%.1fs", intake)), (drained == "" ? "never" : sprintf("%.1fs", drained)) }
  ' "$samples")
  timeline+=("after the restore: the gateway accepted again within ${line%% *}, the intake queue was empty again within ${line##* } (1 s samples)")
}

# Seconds since the load started, e.g. for a timeline.
at() { since "$load_started"; }

# Prints the scenario's summary (and writes it to $out/fault.md): the fault,
# its timeline, the scenario's own checks, and the audit.
summarise() { # scenario
  local audit="$run_dir/audit.json" verdict=PASS
  [ "$load_rc" = 0 ] || verdict=FAIL
  for c in "${check_results[@]}"; do [[ "$c" == FAIL* ]] && verdict=FAIL; done
  {
    echo "# Fault scenario $1 — $verdict"
    echo
    echo "- load: ${RATE:-100}/s for ${DURATION:-40s} (re-submissions ${DUP_SHARE}, invalid ${INVALID_SHARE}), k6 + audit exit $load_rc"
    for t in "${timeline[@]}"; do echo "- $t"; done
    echo
    echo "| scenario check | result |"
    echo "|---|---|"
    for c in "${check_results[@]}"; do echo "| ${c#* } | ${c%% *} |"; done
    echo
    if [ -f "$audit" ]; then
      echo "Audit (${run_dir#"$root"/}/report.md):"
      echo
      echo '```'
      tr -d '\n ' <"$audit" | grep -o '"\(accepted\|records\|lost\|duplicated\|unexpected\|recovered\|indeterminate\|stuck\|figures_agree\|drain_secs\)":[^,}]*' | tr -d '"' | tr '\n' ' '
      echo
      echo '```'
    else
      echo "No audit (see ${out#"$root"/}/load.log)."
    fi
  } | tee "$out/fault.md"
  [ "$verdict" = PASS ]
}

timeline=()
check_results=()
mark() { timeline+=("t+$(at)s: $*"); say "t+$(at)s: $*"; }
check() { # "description" command...
  local what=$1
  shift
  if "$@"; then check_results+=("PASS $what"); else check_results+=("FAIL $what"); fi
}
