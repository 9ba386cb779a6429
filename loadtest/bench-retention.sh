#!/usr/bin/env bash
# Retention benchmark: COUNT applicants of one wave announced 100 days ago
# (a tenth selected, a tenth rejected, the rest waitlisted), sealed-size
# ciphertexts and hashes, seeded into a database of its own; then
# `lonjak-ops --direct-database retention plan` and `retention erase`,
# timed, then a second erase (which must find nothing). Photos are not
# seeded (no object store calls): this measures the database's part.
#
#   loadtest/bench-retention.sh                 200,000 applicants
#   COUNT=2000000 loadtest/bench-retention.sh
#
# Environment (defaults in brackets): COUNT [200000] BATCH [1000]
#   BIN [target/release] (where lonjak-ops is built)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[bench-retention] %s\n' "$*" >&2; }

COUNT=${COUNT:-200000}
BATCH=${BATCH:-1000}
BIN=${BIN:-target/release}
stamp=$(date +%s)
db="lonjak_bench_ret_${stamp}"
admin_url=${ADMIN_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
url="postgres://postgres:postgres@127.0.0.1:5432/${db}"
export LONJAK_DATABASE__URL=$url LONJAK_RETENTION__BATCH=$BATCH RUST_LOG=warn
export LONJAK_OBJECT_STORE__ENDPOINT=
cleanup() {
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS ${db} WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql -q "$admin_url" -c "CREATE DATABASE ${db}" >/dev/null
"$BIN/lonjak-ops" migrate >/dev/null
say "seeding ${COUNT} applicants"
psql -q "$url" -v ON_ERROR_STOP=1 -v count="$COUNT" >/dev/null <<'SQL'
INSERT INTO waves (id, name, quota, state, email_verification_required)
VALUES (1, 'wave 1', 0, 'closed', false);
INSERT INTO registrations (id, wave_id, nik_hash, kk_hash, nik_ciphertext, kk_ciphertext,
    key_version, full_name_ciphertext, email_ciphertext, phone_ciphertext,
    birth_date_ciphertext, email_hash, phone_hash, submission_hash,
    employment_status, in_education, status, reason, submitted_at, score, score_parts)
SELECT md5(g::text), 1, sha256(int8send(g)), sha256(int8send(g % 50000)),
       substr(sha512(int8send(g * 8)), 1, 45), substr(sha512(int8send(g * 8 + 1)), 1, 45), 1,
       substr(sha512(int8send(g * 8 + 2)), 1, 50), substr(sha512(int8send(g * 8 + 3)), 1, 55),
       substr(sha512(int8send(g * 8 + 4)), 1, 43), substr(sha512(int8send(g * 8 + 5)), 1, 39),
       sha256(int8send(-g)), sha256(int8send(-g - 1)), sha256(int8send(g + 1)),
       'laid_off', false,
       CASE WHEN g % 10 = 0 THEN 'selected' WHEN g % 10 = 1 THEN 'rejected' ELSE 'scored' END,
       CASE WHEN g % 10 = 1 THEN 'identity_mismatch' END,
       now() - interval '120 days', 40, '[{"rule": "employment.laid_off", "points": 40}]'
  FROM generate_series(1, :count) g;
UPDATE waves SET state = 'announced' WHERE id = 1;
UPDATE waves SET announced_at = now() - interval '100 days' WHERE id = 1;
ANALYZE registrations;
SQL

ms() { date +%s%3N; }
t0=$(ms)
"$BIN/lonjak-ops" --direct-database retention plan
t1=$(ms)
"$BIN/lonjak-ops" --direct-database retention erase
t2=$(ms)
"$BIN/lonjak-ops" --direct-database retention erase
t3=$(ms)
left=$(psql -qtA "$url" -c "SELECT count(*) FROM registrations
  WHERE erased_at IS NULL AND status <> 'selected'")
erased=$((COUNT * 9 / 10))
say "plan $((t1 - t0)) ms; erase $((t2 - t1)) ms for ${erased} rows ($((erased * 1000 / (t2 - t1 + 1))) rows/s, batches of ${BATCH}); second erase $((t3 - t2)) ms; not erased and not selected: ${left}"
