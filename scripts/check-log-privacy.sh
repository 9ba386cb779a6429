#!/usr/bin/env bash
# Logs and the broker hold no personal data in clear, in any service. Brings
# the whole pipeline up (scripts/up.sh) with every service logging at debug
# level, binds a tap queue to the event and dead-letter exchanges and the
# broker's firehose (lonjak-tap; `rabbitmqctl trace_on` for the run, off at
# the end), sends known applicants (accepted, refused as invalid, and
# resubmitted), waits until each accepted one has reached a final state,
# looks each up through the admin API (by id, and through the support desk by
# NIK), then searches every service's whole log for each applicant's NIK, KK
# number, name, email and phone number (as sent and as normalised) and the
# admin API's tokens, and every message on the broker (the tap's copies, every
# work, retry and dead-letter queue, bodies and headers) for the same values
# and the birth dates. Stops the pipeline (scripts/down.sh) at the end.
# Binds the pipeline's fixed ports: run it alone (CI does).
#   scripts/check-log-privacy.sh          # 40 known applicants
#   APPLICANTS=200 scripts/check-log-privacy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
n=${APPLICANTS:-40}
work=$(mktemp -d)
trap 'scripts/down.sh --quiet || true; rm -rf "$work"' EXIT

# Status polling below comes from one address: lift its limit for this run.
export LONJAK_ADMISSION__STATUS_PER_SEC=100000 LONJAK_ADMISSION__STATUS_BURST=100000
# So do the support desk's look-ups per agent and hour.
export LONJAK_SUPPORT__LOOKUPS_PER_HOUR=100000
RUST_LOG=${RUST_LOG:-debug} LONJAK_LOG_FORMAT=json scripts/up.sh >"$work/up.log" 2>&1 ||
  { cat "$work/up.log"; exit 1; }
# shellcheck source=../deploy/local/env.sh
source deploy/local/env.sh
base="http://$LONJAK_HTTP__ADDR"
bin=target/debug
[ "${LONJAK_PROFILE:-dev}" = release ] && bin=target/release
# The broker's firehose copies every publish (the gateway's go straight to
# the intake queue, past the event exchange) to the tap; off again at exit.
rabbitmqctl -q trace_on >/dev/null
trap 'rabbitmqctl -q trace_off >/dev/null 2>&1 || true; scripts/down.sh --quiet || true; rm -rf "$work"' EXIT
"$bin/lonjak-tap" bind

# Known applicants: valid, distinct, deterministic. Each line of values.txt is
# one string that must appear in no log.
python3 - "$n" "$work" <<'PY'
import json, sys
n, work = int(sys.argv[1]), sys.argv[2]
first = ["Wulandari", "Sulastri", "Bambang", "Hendrawan", "Ratnasari", "Kurniawati", "Suharyanto", "Purnamasari"]
last = ["Tjahjadi", "Wibisono", "Simanjuntak", "Kusumawardhani", "Nainggolan", "Prawiranegara", "Hutabarat", "Setiabudi"]
values, births = [], []
for i in range(n):
    female = i % 2 == 1
    day, month, year = 1 + i % 28, 1 + i % 12, 1970 + i % 30
    nik = f"3174{10 + i % 80:02d}{day + 40 if female else day:02d}{month:02d}{year % 100:02d}{7000 + i:04d}"
    local = f"{9000000 + i * 7919:08d}"
    body = {
        "nik": nik,
        "kk_number": f"3174{40 + i % 50:02d}{8800000000 + i * 104729:010d}",
        "full_name": f"{first[i % 8]} {last[(i // 8) % 8]} {last[(i + 3) % 8]}",
        "birth_date": f"{year}-{month:02d}-{day:02d}",
        "email": f"privacy.check.{i:04d}@example.id",
        "phone": f"0813{local}",
        "employment_status": "laid_off",
        "in_education": False,
    }
    with open(f"{work}/valid-{i}.json", "w") as f:
        json.dump(body, f)
    invalid = dict(body, email=f"broken.{i:04d}@", wave=0)
    with open(f"{work}/invalid-{i}.json", "w") as f:
        json.dump(invalid, f)
    values += [nik, body["kk_number"], body["full_name"], body["email"], invalid["email"],
               body["phone"], f"+62813{local}", f"62813{local}"]
    births.append(body["birth_date"])
with open(f"{work}/values.txt", "w") as f:
    f.write("\n".join(values) + "\n")
# Birth dates only on the broker: a log line may carry any date.
with open(f"{work}/births.txt", "w") as f:
    f.write("\n".join(births) + "\n")
with open(f"{work}/niks.txt", "w") as f:
    f.write("\n".join(values[0::8]) + "\n")
PY
# The demo's sample applicants went through the pipeline too.
python3 - deploy/local/samples/*.json >>"$work/values.txt" <<'PY'
import json, sys
for path in sys.argv[1:]:
    body = json.load(open(path))
    for key in ("nik", "kk_number", "full_name", "email", "phone"):
        if len(body.get(key, "")) >= 6:
            print(body[key])
PY

post() { curl -sS -o "$work/answer" -w '%{http_code}' -XPOST "$base/v1/registrations" \
  -H 'content-type: application/json' --data-binary "@$1"; }
ids=()
for i in $(seq 0 $((n - 1))); do
  code=$(post "$work/valid-$i.json")
  [ "$code" = 202 ] || { echo "[privacy] applicant $i: HTTP $code $(cat "$work/answer")"; exit 1; }
  ids+=("$(sed -n 's/.*"registration_id":"\([0-9a-f]*\)".*/\1/p' "$work/answer")")
  [ "$(post "$work/valid-$i.json")" = 202 ] || { echo "[privacy] resubmission $i refused"; exit 1; }
  code=$(post "$work/invalid-$i.json")
  [ "$code" = 422 ] || { echo "[privacy] invalid applicant $i: HTTP $code"; exit 1; }
done

echo "[privacy] $n applicants sent; waiting for each to reach a final state"
pending=("${ids[@]}")
for _ in $(seq 1 120); do
  still=()
  for id in "${pending[@]}"; do
    curl -sS "$base/v1/registrations/$id" | grep -Eq '"status":"(verified|scored|selected|waitlisted|rejected)"' ||
      still+=("$id")
  done
  pending=("${still[@]+"${still[@]}"}")
  [ ${#pending[@]} -eq 0 ] && break
  sleep 1
done
[ ${#pending[@]} -eq 0 ] || { echo "[privacy] ${#pending[@]} registrations not final after 120 s"; exit 1; }

# The admin API's look-ups (an agent's) and explanations (an operator's) of
# the same applicants, and a refused guess: none of them may log a token.
admin="http://$LONJAK_ADMIN__ADDR"
for id in "${ids[@]}"; do
  for call in "$LONJAK_ADMIN__AGENT_TOKENS v1/registrations/$id" \
              "$LONJAK_ADMIN__OPERATOR_TOKENS v1/registrations/$id/explanation"; do
    token=${call%% *} path=${call#* }
    code=$(curl -sS -o /dev/null -w '%{http_code}' -H "authorization: Bearer ${token#*:}" "$admin/$path")
    [ "$code" = 200 ] || { echo "[privacy] admin API $path: HTTP $code"; exit 1; }
  done
done
# The support desk's look-up by NIK (an agent's, with a reason): the value
# travels in the body and must reach no log.
while IFS= read -r nik; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' -XPOST "$admin/v1/support/lookup" \
    -H "authorization: Bearer ${LONJAK_ADMIN__AGENT_TOKENS#*:}" -H 'content-type: application/json' \
    --data-binary "{\"nik\":\"$nik\",\"reason\":\"privacy check\"}")
  [ "$code" = 200 ] || { echo "[privacy] support look-up: HTTP $code"; exit 1; }
done <"$work/niks.txt"
guess=privacy-check-guessed-token-0000000000
[ "$(curl -sS -o /dev/null -w '%{http_code}' -H "authorization: Bearer $guess" "$admin/v1/waves")" = 401 ] ||
  { echo "[privacy] admin API accepted a guessed token"; exit 1; }
for token in "$LONJAK_ADMIN__AGENT_TOKENS" "$LONJAK_ADMIN__OPERATOR_TOKENS"; do
  echo "${token#*:}" >>"$work/values.txt"
done
echo "$guess" >>"$work/values.txt"

scripts/down.sh --quiet
logs=(.run/logs/*.log)
lines=$(cat "${logs[@]}" | wc -l)
found=0
while IFS= read -r value; do
  [ -n "$value" ] || continue
  if grep -F -l -- "$value" "${logs[@]}" >"$work/hits"; then
    echo "[privacy] personal data in $(tr '\n' ' ' <"$work/hits")(value withheld)"
    found=$((found + 1))
  fi
done <"$work/values.txt"
echo "[privacy] searched ${#logs[@]} logs (${logs[*]##*/}), $lines lines, for $(grep -c . "$work/values.txt") known values: $found found"
cat "$work/values.txt" "$work/births.txt" >"$work/broker-values.txt"
broker=0
"$bin/lonjak-tap" search --values "$work/broker-values.txt" --expect-submitted "$n" || broker=1
[ "$found" -eq 0 ] && [ "$broker" -eq 0 ]
