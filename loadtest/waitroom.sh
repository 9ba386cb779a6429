#!/usr/bin/env bash
# An opening-day crowd, with the waiting room or without it.
#
#   loadtest/waitroom.sh queue|direct
#
# Brings the local pipeline up (scripts/up.sh, its own database and queue
# prefix), with the verifier limited to DRAIN_RATE registrations/s and the
# gateway's global limit at the same figure (what the pipeline sustains).
# The wave opens OPEN_AFTER seconds into the run; CROWD people arrive over
# JOIN_SECS (loadtest/scenarios/waitroom.js). `queue`: they join the
# waiting room and register when admitted; `direct`: they register straight
# away and, when refused, wait Retry-After and try again. Then, for `queue`,
# CHECK_RATE ticket checks/s for 10 s measure the gateway's CPU per check.
#
# Environment [defaults]: CROWD [2000], JOIN_SECS [30], OPEN_AFTER [10],
# DRAIN_RATE [50], FORM_SECS [5], CHECK_RATE [300], LONJAK_PROFILE [dev],
# CLIENT [k6] (`crowd`: services/bench's lonjak-crowd, a task per person
# rather than a k6 VU, for crowds of tens of thousands; both modes,
# everyone stops at MAX_SECS [240]). The gateway's CPU is sampled every
# second during the crowd (cpu.log): the report gives its peak.
# Results: loadtest/results/waitroom-<mode>-<wave>/ (report.md, k6 files;
# for `queue` also series.log, the queue's movement each second, and
# tickets.csv, every ticket's timeline: loadtest/lib/waitroom_estimators.py
# replays other wait estimators against them). The run first purges its own
# prefix's queues (rabbitmqctl), so an earlier run's backlog does not pace it.
# Run it alone on the machine: it owns ports 8080/9100/9101/8090.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
mode=${1:-queue}
case "$mode" in queue | direct) ;; *) echo "usage: $0 queue|direct" >&2; exit 2 ;; esac
say() { printf '[waitroom] %s\n' "$*"; }
CROWD=${CROWD:-2000} JOIN_SECS=${JOIN_SECS:-30} OPEN_AFTER=${OPEN_AFTER:-10}
DRAIN_RATE=${DRAIN_RATE:-50} FORM_SECS=${FORM_SECS:-5} CHECK_RATE=${CHECK_RATE:-300}
bin=target/debug
[ "${LONJAK_PROFILE:-dev}" = release ] && bin=target/release

export LONJAK_DATABASE__URL=${WAIT_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/lonjak_waitbench}
export LONJAK_BUS__PREFIX=${WAIT_BUS_PREFIX:-waitbench-}
admin_url=${LONJAK_DATABASE__URL%/*}/postgres
db_name=${LONJAK_DATABASE__URL##*/}
if [ "$(psql "$admin_url" -Atqc "select 1 from pg_database where datname = '$db_name'")" != 1 ]; then
  psql "$admin_url" -qc "create database $db_name" >/dev/null
fi
psql() { command psql "$LONJAK_DATABASE__URL" -Atq "$@"; }

wave=$(( $(date +%s) % 1000000 ))
out="$here/results/waitroom-$mode-$wave"
mkdir -p "$out"
say "building and migrating"
cargo build --workspace --bins --quiet ${LONJAK_PROFILE:+$([ "$LONJAK_PROFILE" = release ] && echo --release)}
"$bin/lonjak-ops" migrate >/dev/null
# The wave opens OPEN_AFTER seconds from the start of the load (the pipeline
# takes a few seconds to come up first).
up_secs=20
psql -c "insert into waves (id, name, opens_at) values ($wave, 'waitroom bench', \
  now() + make_interval(secs => $((OPEN_AFTER + up_secs))))"

export LONJAK_VERIFIER_RATE=$DRAIN_RATE
export LONJAK_ADMISSION__GLOBAL_PER_SEC=$DRAIN_RATE
export LONJAK_ADMISSION__GLOBAL_BURST=$DRAIN_RATE
export LONJAK_ADMISSION__TRUSTED_PROXIES=127.0.0.1
export LONJAK_ADMISSION__CLIENT_PER_SEC=5 LONJAK_ADMISSION__CLIENT_BURST=10
if [ "$mode" = queue ]; then
  export LONJAK_WAITROOM__WAVES=$wave
  export LONJAK_WAITROOM__TICKET_KEY=${LONJAK_WAITROOM__TICKET_KEY:-6c6f6e6a616b2d6c6f63616c2d7469636b65742d6b65792d6e6f742d73656372}
  export LONJAK_WAITROOM__FAIR_START_SECS=3600 LONJAK_WAITROOM__PERMIT_SECS=120
fi
# Start from an empty pipeline: what an earlier run left in this prefix's
# queues (a direct run's backlog, say) would back the intake up and pace
# this run's queue down to a crawl. Needs rabbitmqctl (root or the rabbitmq
# user); without it, the run says so and goes on.
# shellcheck source=lib/purge-queues.sh
source "$here/lib/purge-queues.sh"
if purge_prefix_queues "$LONJAK_BUS__PREFIX"; then
  say "purged the $LONJAK_BUS__PREFIX queues"
else
  say "cannot purge the $LONJAK_BUS__PREFIX queues (no rabbitmqctl access): leftovers of earlier runs stay"
fi
say "bringing the pipeline up ($mode, drain limited to $DRAIN_RATE/s)"
started=$(date +%s)
trap 'scripts/down.sh --quiet' EXIT
scripts/up.sh >"$out/up.log" 2>&1 || { tail -n 30 "$out/up.log"; exit 1; }
sleep $(( up_secs - ($(date +%s) - started) > 0 ? up_secs - ($(date +%s) - started) : 0 ))
gw=$(cat .run/pids/gateway.pid)
cpu() { awk '{print $14 + $15}' "/proc/$gw/stat"; }
tck=$(getconf CLK_TCK)

say "crowd: $CROWD people over ${JOIN_SECS}s, wave $wave opens after ${OPEN_AFTER}s"
direct=0
[ "$mode" = direct ] && direct=1
cpu0=$(cpu)
# The gateway's CPU seconds at each second of the crowd (its peak load).
( while kill -0 "$gw" 2>/dev/null; do echo "$(date +%s) $(cpu)"; sleep 1; done ) >"$out/cpu.log" &
sampler=$!
# The queue's movement and what the estimates are made of, every second
# (series.log: time, admitted-up-to mark, positions issued, admission rate,
# shared drain rate and its spread, seconds stalled, intake backlog).
if [ "$mode" = queue ]; then
  (
    while kill -0 "$gw" 2>/dev/null; do
      depth=$(curl -s --max-time 1 http://127.0.0.1:9100/metrics | awk '$1 == "lonjak_intake_queue_depth" {print $2}')
      row=$(psql -F ' ' -c "select extract(epoch from clock_timestamp()), w.admitted_upto, \
        (select case when is_called then last_value else 0 end from waitroom_seq_$wave), \
        round(w.admit_per_sec::numeric, 1), round(d.per_sec::numeric, 1), round(sqrt(greatest(d.variance, 0))::numeric, 1), \
        coalesce(round(extract(epoch from now() - d.stalled_since)::numeric, 1), 0) \
        from waitroom_waves w, intake_drain d where w.wave_id = $wave" 2>/dev/null || true)
      [ -n "$row" ] && echo "$row ${depth:-0}"
      sleep 1
    done
  ) >"$out/series.log" &
  series=$!
fi
if [ "${CLIENT:-k6}" = crowd ]; then
  # One tokio task per person (services/bench, lonjak-crowd): crowds k6's
  # one VU per person cannot hold. Bounded by MAX_SECS.
  WAVE=$wave CROWD=$CROWD JOIN_SECS=$JOIN_SECS FORM_SECS=$FORM_SECS MAX_SECS=${MAX_SECS:-240} \
    DIRECT=$direct "$bin/lonjak-crowd" "$out/summary.json" >"$out/k6.log" 2>&1 || true
else
  k6 run --no-color --quiet -e WAVE="$wave" -e CROWD="$CROWD" -e JOIN_SECS="$JOIN_SECS" \
    -e FORM_SECS="$FORM_SECS" -e DIRECT="$direct" \
    --summary-export "$out/summary.json" "$here/scenarios/waitroom.js" >"$out/k6.log" 2>&1 || true
fi
cpu1=$(cpu)
kill "$sampler" 2>/dev/null || true
if [ -n "${series:-}" ]; then kill "$series" 2>/dev/null || true; fi

{
  echo "## Opening-day crowd, $mode ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD))"
  echo
  echo "CROWD=$CROWD JOIN_SECS=$JOIN_SECS OPEN_AFTER=$OPEN_AFTER DRAIN_RATE=$DRAIN_RATE FORM_SECS=$FORM_SECS"
  echo
  python3 - "$out/summary.json" "$cpu0" "$cpu1" "$tck" "$out/cpu.log" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
ticks = [tuple(map(float, l.split())) for l in open(sys.argv[5]) if len(l.split()) == 2]
peak_cpu = max(((b[1] - a[1]) / float(sys.argv[4]) / max(b[0] - a[0], 1)
                for a, b in zip(ticks, ticks[1:])), default=0)
g = lambda k, f="count": m.get(k, {}).get(f, 0)
cpu = (float(sys.argv[3]) - float(sys.argv[2])) / float(sys.argv[4])
r = g("receipts")
print(f"- receipts: {r:.0f}; gave up: {g('gave_up'):.0f}")
t = m.get("join_to_receipt_ms", {})
print(f"- join (or first try) → receipt: p50 {t.get('p(50)',0)/1000:.1f} s, p95 {t.get('p(95)',0)/1000:.1f} s, p99 {t.get('p(99)',0)/1000:.1f} s")
print(f"- requests: {g('person_requests'):.0f} ({g('person_requests')/max(r,1):.2f} per registration); 429/503: {g('refusals_429_503'):.0f}")
if g("ticket_checks"):
    print(f"- ticket checks: {g('ticket_checks'):.0f}; people who started over 1 s late (client saturated): {g('late_starts'):.0f}")
if "held_requests" in m:
    print(f"- requests the client held over 1 s for want of a connection slot (client saturated, not counted against the server): {g('held_requests'):.0f}")
print(f"- admitted people's submissions: {g('admitted_submits'):.0f}; refused with 429/503: {g('admitted_submit_refusals'):.0f}")
print(f"- gateway CPU during the crowd: {cpu:.1f} s ({1e3*cpu/max(g('person_requests'),1):.3f} ms per request); peak {100*peak_cpu:.0f} % of a core in one second")
if g("peak_requests_per_sec"):
    print(f"- peak requests sent in one second: {g('peak_requests_per_sec'):.0f}")
PY
} >"$out/report.md"

if [ "$mode" = queue ]; then
  {
    echo
    echo "Order and estimates, from the database:"
    echo
    # Every ticket's timeline, for replaying other estimators against the
    # series (extract(epoch ...) seconds).
    psql -c "copy (select position, extract(epoch from joined_at), extract(epoch from estimated_at), \
      estimate_secs, extract(epoch from admitted_at), extract(epoch from used_at) \
      from waitroom_tickets where wave_id = $wave order by position) to stdout with csv" >"$out/tickets.csv"
    # The draw's group is positions 1..drawn_count; after it, arrival order.
    pre=$(psql -c "select drawn_count from waitroom_waves where wave_id = $wave")
    opens="(select opens_at from waitroom_waves where wave_id = $wave)"
    echo "- placed by the pre-opening draw, in random order: $pre (of them joined after the opening instant, before the draw ran: $(psql -c "select count(*) from waitroom_tickets where wave_id = $wave and position <= $pre and joined_at >= $opens"))"
    echo "- joined before opening but left out of the draw: $(psql -c "select count(*) from waitroom_tickets where wave_id = $wave and position > $pre and joined_at < $opens")"
    echo "- admitted out of position order: $(psql -c "select count(*) from (select admitted_at, lag(admitted_at) over (order by position) prev from waitroom_tickets where wave_id = $wave and admitted_at is not null) s where admitted_at < prev")"
    # Behind someone who joined later: how many, and by how much at most
    # (concurrent joins take their position and read the clock in one
    # statement, but two backends can interleave between the two).
    psql -F ' ' -c "select count(*), coalesce(round(max(extract(epoch from latest - joined_at) * 1000)::numeric, 1), 0) \
      from (select joined_at, max(joined_at) over (order by position rows between unbounded preceding and 1 preceding) latest \
            from waitroom_tickets where wave_id = $wave and position > $pre) s where joined_at < latest" |
      awk '{printf "- after the draw, placed behind someone who joined later: %s (by at most %s ms)\n", $1, $2}'
    psql -F ' ' -c "select count(*), \
      round(100.0 * avg((abs(estimate_secs - w) <= greatest(0.25 * w, 2))::int), 1), \
      round(percentile_cont(0.5) within group (order by estimate_secs - w)::numeric, 1), \
      round(percentile_cont(0.9) within group (order by estimate_secs - w)::numeric, 1), \
      round(percentile_cont(0.5) within group (order by w)::numeric, 1) \
      from (select estimate_secs, extract(epoch from admitted_at - estimated_at) w \
            from waitroom_tickets where wave_id = $wave and estimate_secs is not null \
              and admitted_at is not null) s" |
      awk '{printf "- announced waits: %s tickets, %s %% within ±25 %% (or 2 s); error median %+.1f s, p90 %+.1f s; actual wait median %s s\n", $1, $2, $3, $4, $5}'
  } >>"$out/report.md"
  ticket=$(grep -o '"ticket":"[0-9a-f]*"' "$out/k6.log" | head -1 | cut -d'"' -f4 || true)
  if [ -z "$ticket" ]; then
    ticket=$(curl -s -XPOST -H 'x-forwarded-for: 10.255.255.254' "http://127.0.0.1:8080/v1/waves/$wave/queue" | sed -n 's/.*"ticket":"\([0-9a-f]*\)".*/\1/p')
  fi
  c0=$(cpu)
  k6 run --no-color --quiet -e URL="http://127.0.0.1:8080/v1/waves/$wave/queue/$ticket" \
    -e RATE="$CHECK_RATE" --summary-export "$out/checks.json" "$here/scenarios/ticket-checks.js" >"$out/checks.log" 2>&1 || true
  c1=$(cpu)
  python3 - "$out/checks.json" "$c0" "$c1" "$tck" >>"$out/report.md" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
n = m["http_reqs"]["count"]
ok = m.get("checks", {}).get("passes", 0)
cpu = (float(sys.argv[3]) - float(sys.argv[2])) / float(sys.argv[4])
print(f"- ticket checks alone: {n} in 10 s ({ok} answered 200): gateway CPU {1e6*cpu/max(n,1):.0f} µs per check")
PY
fi
cat "$out/report.md"
