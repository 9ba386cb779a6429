# shellcheck shell=bash
# shellcheck disable=SC2154 # root, out, seal_private_key (fault.sh, env.sh), run_dir, load_rc (lib.sh)
# 8. The data key rotated under load (sourced by loadtest/fault.sh), the way
#    docs/operations.md ("Rotate the data key") says, with rolling restarts
#    of the services that hold the key, as a Deployment's rollout would:
#      a. every holder restarted one by one with the new key readable
#         (current 1, previous 2:new), so that no holder meets a row it
#         cannot open while the others are still on the old ring;
#      b. every holder restarted one by one with the new key current
#         (current 2, previous 1:old): from here every write uses version 2;
#      c. `lonjak-ops keys rotate` re-seals what is stored, load still on.
#    After the drain: the audit (nothing lost, nothing twice), `keys rotate`
#    again finds nothing to do, and `keys verify` with a ring of the new key
#    alone opens every row. On exit the rows go back under the local key
#    (version 1), so the next run starts from deploy/local/env.sh's key.
# Knobs: ROTATION_NEW_KEY (64 hex digits; a fixed development key by default).

# The data key holders, in rollout order (the gateway and photo-check never
# hold it). Each is started as scripts/up.sh starts it.
KEY_HOLDERS=(verifier eligibility notifier admin)
rotation_old_key=$LONJAK_DATABASE__DATA_KEY
rotation_new_key=${ROTATION_NEW_KEY:-6c6f6e6a616b2d6c6f63616c2d646174612d6b65792d322d6e6f742d73656372}

holder_ready_url() {
  case "$1" in
    verifier) echo "http://${LONJAK_VERIFIER_OPS_ADDR:-127.0.0.1:9101}/readyz" ;;
    eligibility) echo "http://${LONJAK_ELIGIBILITY_OPS_ADDR:-127.0.0.1:9102}/readyz" ;;
    notifier) echo "http://${LONJAK_NOTIFIER_OPS_ADDR:-127.0.0.1:9103}/readyz" ;;
    admin) echo "http://$LONJAK_ADMIN__ADDR/readyz" ;;
  esac
}

# Stops one holder with SIGTERM (it drains, as on a pod's termination) and
# starts it again with ring $2 ("version current-hex previous-pairs").
# Prints the seconds it was away.
roll_holder() { # name version key previous
  local name=$1 version=$2 key=$3 previous=$4 pid bin="$root/target/debug" started
  [ "${LONJAK_PROFILE:-dev}" = release ] && bin="$root/target/release"
  pid=$(worker_pid "$name")
  started=$(now)
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 250); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && { say "$name did not stop within 50 s" >&2; return 1; }
  local env=(LONJAK_DATABASE__DATA_KEY="$key" LONJAK_DATABASE__DATA_KEY_VERSION="$version"
    LONJAK_DATABASE__PREVIOUS_DATA_KEYS="$previous")
  case "$name" in
    verifier) env+=(LONJAK_OPS__ADDR="${LONJAK_VERIFIER_OPS_ADDR:-127.0.0.1:9101}"
      LONJAK_SEAL__PRIVATE_KEY="$seal_private_key") ;;
    eligibility) env+=(LONJAK_OPS__ADDR="${LONJAK_ELIGIBILITY_OPS_ADDR:-127.0.0.1:9102}") ;;
    notifier) env+=(LONJAK_OPS__ADDR="${LONJAK_NOTIFIER_OPS_ADDR:-127.0.0.1:9103}") ;;
  esac
  local niceness=${LONJAK_WORKER_NICE:-10}
  [ "$name" = admin ] && niceness=0
  nohup env "${env[@]}" nice -n "$niceness" "$bin/lonjak-$name" >>"$root/.run/logs/$name.log" 2>&1 &
  echo $! >"$root/.run/pids/$name.pid"
  disown $!
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null --max-time 2 "$(holder_ready_url "$name")" 2>/dev/null && {
      since "$started"
      return 0
    }
    sleep 0.2
  done
  say "$name did not become ready with the new ring" >&2
  return 1
}

roll_all() { # label version key previous
  local label=$1 name took
  shift
  local took_all=()
  for name in "${KEY_HOLDERS[@]}"; do
    took=$(roll_holder "$name" "$@")
    took_all+=("$name ${took}s")
  done
  mark "rolling restart, $label: ${took_all[*]} (stop to ready)"
}

# lonjak-ops keys … with the given ring.
keys_with() { # version key previous keys-args…
  local version=$1 key=$2 previous=$3
  shift 3
  LONJAK_DATABASE__DATA_KEY=$key LONJAK_DATABASE__DATA_KEY_VERSION=$version \
    LONJAK_DATABASE__PREVIOUS_DATA_KEYS=$previous "$(bin lonjak-ops)" keys "$@"
}

# Puts every row back under the local key, version 1 (the pipeline stopped
# first, so that nothing writes under version 2 behind it).
rotate_back() {
  "$root/scripts/down.sh" --quiet
  keys_with 1 "$rotation_old_key" "2:$rotation_new_key" rotate >>"$out/keys.log" 2>&1 &&
    say "rows back under the local data key (version 1): $(tail -n1 "$out/keys.log")"
}

scenario_key_rotation() {
  on_exit_restore rotate_back
  roll_all "new key readable (current 1, previous 2)" 1 "$rotation_old_key" "2:$rotation_new_key"
  roll_all "new key current (current 2, previous 1)" 2 "$rotation_new_key" "1:$rotation_old_key"
  local rotated
  rotated=$(keys_with 2 "$rotation_new_key" "1:$rotation_old_key" rotate --batch 200 2>>"$out/keys.log" | tail -n1)
  mark "keys rotate under load: $rotated"
  load_wait
  check "keys rotate re-sealed rows under load ($rotated)" grep -q '^[1-9][0-9]* row(s) re-sealed under key version 2' <<<"$rotated"
  local again
  again=$(keys_with 2 "$rotation_new_key" "1:$rotation_old_key" rotate 2>>"$out/keys.log" | tail -n1)
  mark "keys rotate after the drain: $again"
  check "keys rotate again finds 0 rows not at version 2" grep -q '; 0 not at it$' <<<"$again"
  # The proof: a ring of the new key alone (no previous key) opens every row.
  local verified=0
  keys_with 2 "$rotation_new_key" "" verify >"$out/keys-verify.txt" 2>>"$out/keys.log" || verified=$?
  sed 's/^/    /' "$out/keys-verify.txt"
  local summary
  summary=$(tail -n1 "$out/keys-verify.txt")
  mark "keys verify with version 2 alone: $summary"
  check "every row opens with the version-2 key alone ($summary)" verified_all "$verified" "$summary"
}
verified_all() { # exit-status summary-line
  [ "$1" = 0 ] && grep -q '^[1-9][0-9]* row(s) checked: [0-9]* open, 0 failed; 0 not at version 2$' <<<"$2"
}
