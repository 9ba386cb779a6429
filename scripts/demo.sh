#!/usr/bin/env bash
# Sends the sample registrations in deploy/local/samples to a running gateway,
# prints each answer, submits one twice, then shows each registration's status.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-http://127.0.0.1:8080}
ids=()
post() {
  curl -sS -X POST "$base/v1/registrations" -H 'content-type: application/json' \
    --data-binary "@$1" -w '\n  -> HTTP %{http_code}\n'
}
for f in deploy/local/samples/*.json; do
  echo "== POST $(basename "$f")"
  out=$(post "$f")
  echo "$out"
  id=$(printf '%s' "$out" | sed -n 's/.*"registration_id":"\([0-9a-f]*\)".*/\1/p')
  [ -n "$id" ] && ids+=("$id")
done
echo "== POST siti.json again (same NIK and wave: same id)"
post deploy/local/samples/siti.json
sleep 2
for id in "${ids[@]}"; do
  echo "== GET /v1/registrations/$id"
  curl -sS "$base/v1/registrations/$id" -w '\n'
done
