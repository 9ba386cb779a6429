#!/usr/bin/env bash
# The applicants' page in a real browser: brings the local pipeline up
# (scripts/up.sh) with a waiting room on a fresh wave (already open, a
# proof-of-work challenge of CHALLENGE_BITS, 30 people queued ahead), drives
# the page in headless Chromium at a phone's width through join → waiting →
# admitted → a field error in Indonesian → receipt → status
# (scripts/check-page.mjs), and saves a screenshot of each step in docs/page/.
#
#   scripts/check-page.sh          (alone on the machine: it owns the standard ports)
#
# Needs chromium (Debian: apt-get install chromium) and node. Not part of
# .ci/run. Environment [defaults]: CHALLENGE_BITS [14], AHEAD [30].
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
say() { printf '[check-page] %s\n' "$*"; }
command -v chromium >/dev/null || { echo "needs chromium (apt-get install chromium)" >&2; exit 2; }
command -v node >/dev/null || { echo "needs node" >&2; exit 2; }
CHALLENGE_BITS=${CHALLENGE_BITS:-14} AHEAD=${AHEAD:-30}

export LONJAK_DATABASE__URL=${PAGE_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/lonjak_pagecheck}
export LONJAK_BUS__PREFIX=${PAGE_BUS_PREFIX:-pagecheck-}
admin_url=${LONJAK_DATABASE__URL%/*}/postgres
db_name=${LONJAK_DATABASE__URL##*/}
if [ "$(psql "$admin_url" -Atqc "select 1 from pg_database where datname = '$db_name'")" != 1 ]; then
  psql "$admin_url" -qc "create database $db_name" >/dev/null
fi
# LONJAK_PREBUILT=1: the binaries are built already (as scripts/up.sh).
[ "${LONJAK_PREBUILT:-}" = 1 ] || cargo build --workspace --bins --quiet
target/debug/lonjak-ops migrate >/dev/null
wave=$(( $(date +%s) % 1000000 ))
psql "$LONJAK_DATABASE__URL" -Atqc "insert into waves (id, name, opens_at) values ($wave, 'page check', now() - interval '1 minute')"

export LONJAK_WAITROOM__WAVES=$wave
export LONJAK_WAITROOM__TICKET_KEY=${LONJAK_WAITROOM__TICKET_KEY:-6c6f6e6a616b2d6c6f63616c2d7469636b65742d6b65792d6e6f742d73656372}
export LONJAK_WAITROOM__CHALLENGE_BITS=$CHALLENGE_BITS
# Slow enough to watch a place in the queue move: 2 admissions a second.
export LONJAK_ADMISSION__GLOBAL_PER_SEC=2 LONJAK_ADMISSION__GLOBAL_BURST=2
export LONJAK_WAITROOM__MIN_ADMIT_PER_SEC=2
export LONJAK_ADMISSION__TRUSTED_PROXIES=127.0.0.1
say "bringing the pipeline up (wave $wave, challenge of $CHALLENGE_BITS bits)"
out=docs/page
mkdir -p "$out" .run
trap 'scripts/down.sh --quiet' EXIT
scripts/up.sh >.run/check-page-up.log 2>&1 || { tail -n 30 .run/check-page-up.log; exit 1; }

# People ahead, joining from addresses of their own (solving the
# challenge with Node's own SHA-256).
say "$AHEAD people join ahead"
node --input-type=module - "$wave" "$AHEAD" <<'JS'
const [wave, ahead] = process.argv.slice(2).map(Number);
const { createHash } = await import("node:crypto");
const base = "http://127.0.0.1:8080";
for (let i = 1; i <= ahead; i++) {
  const h = { "x-forwarded-for": "10.77.0." + i };
  let extra = {};
  const c = await fetch(`${base}/v1/waves/${wave}/challenge`, { method: "POST", headers: h });
  if (c.status === 200) {
    const { challenge, difficulty_bits: bits } = await c.json();
    for (let n = 0; ; n++) {
      const d = createHash("sha256").update(challenge + ":" + n).digest();
      let z = 0;
      for (const b of d) { if (b) { z += Math.clz32(b) - 24; break; } z += 8; }
      if (z >= bits) { extra = { "waitroom-challenge": challenge, "waitroom-solution": String(n) }; break; }
    }
  }
  const r = await fetch(`${base}/v1/waves/${wave}/queue`, { method: "POST", headers: { ...h, ...extra } });
  if (r.status !== 201) throw new Error("join " + i + ": " + r.status + " " + await r.text());
}
JS
say "driving the page"
node scripts/check-page.mjs http://127.0.0.1:8080 "$wave" "$out"
