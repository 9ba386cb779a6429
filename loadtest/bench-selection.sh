#!/usr/bin/env bash
# Selection benchmark: COUNT scored applicants (a realistic mix) seeded with
# COPY into a database of its own, one closed wave with QUOTA places that
# requires a verified email (the default; 90 % of the seeded have one), then
# `lonjak-ops select --wave 1` (the top of the ranking index walked, quota,
# KK cap, email rule and the decided prefix's rows inside PostgreSQL, then
# every applicant announced as `selection.decided` pages of PAGE: decision
# rows, then ranges of the ranking, confirmed in rounds),
# timed, with PostgreSQL's peak memory sampled meanwhile. Run it alone: it
# takes both cores and publishes COUNT / PAGE events.
#
#   loadtest/bench-selection.sh                  2,000,000 applicants, quota 164,000
#   COUNT=200000 QUOTA=16400 loadtest/bench-selection.sh
#
# Environment (defaults in brackets): COUNT [2000000] QUOTA [164000]
#   WORK_MEM [256MB] PAGE [500] (decisions per `selection.decided` event)
# Uses a bus prefix and a database of its own, both removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[bench-selection] %s\n' "$*" >&2; }

COUNT=${COUNT:-2000000}
QUOTA=${QUOTA:-164000}
WORK_MEM=${WORK_MEM:-256MB}
PAGE=${PAGE:-500}

scripts/services.sh >/dev/null
stamp=$(date +%s)
db="lonjak_bench_sel_${stamp}"
prefix="s$(printf '%016x' "$stamp")."
admin_url=${ADMIN_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
url="postgres://postgres:postgres@127.0.0.1:5432/${db}"
export LONJAK_DATABASE__URL=$url LONJAK_BUS__PREFIX=$prefix RUST_LOG=warn
bin=target/release
out=$(mktemp -d)
sampler=
cleanup() {
  if [ -n "$sampler" ]; then kill "$sampler" 2>/dev/null || true; fi
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS ${db} WITH (FORCE)" >/dev/null 2>&1 || true
  for q in $(rabbitmqctl -q list_queues name 2>/dev/null | grep -F "$prefix" || true); do
    rabbitmqctl -q delete_queue "$q" >/dev/null 2>&1 || true
  done
  rm -rf "$out"
}
trap cleanup EXIT

# The benchmark measures the store's own work: the command acts on the
# database directly, not through the admin API.
export LONJAK_OPS_DIRECT_DATABASE=true
say "building (release)"
cargo build --release --quiet --bin lonjak-ops
psql -q "$admin_url" -c "CREATE DATABASE ${db}"
"$bin/lonjak-ops" migrate >/dev/null
"$bin/lonjak-ops" topology >/dev/null
"$bin/lonjak-ops" wave create 1 --quota "$QUOTA" >/dev/null
"$bin/lonjak-ops" wave open 1 >/dev/null

say "seeding $COUNT scored applicants with COPY"
# Employment: 20 % laid off, 25 % furloughed, 20 % micro business, 25 % job
# seekers, 10 % employed; 30 % receive social aid; families of one to three
# (about 1.5 M KKs); submissions spread over four days. Scores follow the
# default weights; parts as the worker stores them.
seed_sql="
COPY (
  SELECT md5(i::text) AS id, 1 AS wave_id,
         sha256(('nik' || i)::bytea) AS nik_hash,
         sha256(('kk' || (i * 3 / 4))::bytea) AS kk_hash,
         '\\x00'::bytea, '\\x00'::bytea, 'x', 'x', 'x', DATE '1990-01-01',
         e.status, false, 'scored',
         CASE WHEN aid THEN 'pkh' END,
         TIMESTAMPTZ '2020-04-11 00:00+07' + (i * interval '172 milliseconds'),
         e.points + CASE WHEN aid THEN 0 ELSE 5 END,
         CASE WHEN (hashtext('mail' || i) & 1023) % 10 <> 0
              THEN TIMESTAMPTZ '2020-04-11 00:10+07' + (i * interval '172 milliseconds') END,
         jsonb_build_array(
           jsonb_build_object('rule', 'employment.' || e.status, 'points', e.points),
           CASE WHEN aid THEN '{\"rule\":\"social_aid.receiving\",\"points\":0}'::jsonb
                ELSE '{\"rule\":\"social_aid.none\",\"points\":5}'::jsonb END)
    FROM generate_series(1, ${COUNT}) AS i,
         LATERAL (SELECT (hashtext(i::text) & 1023) % 100 AS p,
                         (hashtext('aid' || i) & 1023) % 10 < 3 AS aid) h,
         LATERAL (SELECT CASE WHEN p < 20 THEN 'laid_off' WHEN p < 45 THEN 'furloughed'
                              WHEN p < 65 THEN 'micro_business_lost_income'
                              WHEN p < 90 THEN 'job_seeker' ELSE 'employed' END AS status,
                         CASE WHEN p < 20 THEN 50 WHEN p < 45 THEN 40 WHEN p < 65 THEN 30
                              WHEN p < 90 THEN 20 ELSE 10 END AS points) e
) TO STDOUT"
seed_start=$(date +%s.%N)
psql -q "$url" -c "$seed_sql" | psql -q "$url" -c "COPY registrations (id, wave_id, nik_hash, kk_hash,
  nik_ciphertext, kk_ciphertext, full_name, email, phone, birth_date, employment_status,
  in_education, status, social_aid_programme, submitted_at, score, email_verified_at,
  score_parts) FROM STDIN"
# After a real drain autovacuum has been through the table (its inserts and
# updates trigger it): the visibility map lets selection read the ranking
# index without visiting the table.
psql -q "$url" -c "VACUUM ANALYZE registrations"
say "seeded in $(echo "$(date +%s.%N) - $seed_start" | bc) s"
"$bin/lonjak-ops" wave close 1 >/dev/null

# PostgreSQL's memory: every 100 ms, the sum of its processes' proportional
# set size (PSS counts each shared page once, split among the processes that
# map it, so shared buffers are not counted once per backend).
sample() {
  local peak=0 top=0 pss one
  while :; do
    pss=0
    for pid in $(pgrep -x postgres || pgrep -f 'postgres:' || true); do
      one=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
      pss=$((pss + ${one:-0}))
      # The largest single process: the backend running the selection.
      [ "${one:-0}" -gt "$top" ] && top=$one && echo "$top" >"$out/top"
    done
    [ "$pss" -gt "$peak" ] && peak=$pss && echo "$peak" >"$out/peak"
    sleep 0.1
  done
}
sample &
sampler=$!
baseline=$(sleep 0.5; cat "$out/peak" 2>/dev/null || echo 0)

say "select --wave 1 (quota $QUOTA, work_mem $WORK_MEM, pages of $PAGE)"
start=$(date +%s.%N)
"$bin/lonjak-ops" select --wave 1 --work-mem "$WORK_MEM" --page "$PAGE" | tee "$out/select.log" >&2
wall=$(echo "$(date +%s.%N) - $start" | bc)
kill "$sampler" 2>/dev/null || true
sampler=
peak=$(cat "$out/peak")
top=$(cat "$out/top" 2>/dev/null || echo 0)

# The broker's queue counts trail its publishes by a few seconds.
events=$(sed -n 's/.*(\([0-9]*\) event(s)).*/\1/p' "$out/select.log")
for _ in $(seq 20); do
  published=$(rabbitmqctl -q list_queues name messages | awk -v q="${prefix}notify.email" '$1 == q {print $2}')
  [ "${published:-0}" -ge "${events:-0}" ] && break
  sleep 1
done
psql -qtA "$url" -c "SELECT 'selected', selected_count FROM waves WHERE id = 1
  UNION ALL SELECT 'waitlisted', waitlisted_count FROM waves WHERE id = 1
  UNION ALL SELECT 'rejected', kk_rejected_count FROM waves WHERE id = 1" >"$out/counts"
rows=$(psql -qtA "$url" -c "SELECT count(*) FROM selection_decisions")
decide=$(sed -n 's/.* selected in \([0-9.]*\) s:.*/\1/p' "$out/select.log")
echo "applicants ${COUNT}, quota ${QUOTA}"
echo "decisions: $(tr '\n' ' ' <"$out/counts") (${rows} decision rows)"
echo "selection.decided events in the notifier's email queue: ${published} (pages of ${PAGE} decisions)"
echo "decision (one transaction): ${decide} s"
echo "announcement: $(echo "$wall - $decide" | bc) s"
echo "wall time of select (decide + announce): ${wall} s"
echo "PostgreSQL PSS: ${baseline} kB before, peak ${peak} kB during (all its processes); largest single process ${top} kB"
