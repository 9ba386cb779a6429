// For loadtest/wait-accuracy.sh: people who keep checking their status.
// Alongside the main load, submits RATE registrations/s for DURATION_SECS
// (wave WAVE, each from an address of its own) and has each one check its
// status every POLL_SECS while it is `queued`, passing the receipt's
// `queue_mark` back as the page does. Logs every wait it is told:
//   receipts.csv: id,answered_unix_ms,estimated_wait_seconds   (the 202's)
//   polls.csv:    id,asked_unix_ms,estimated_wait_seconds,ahead (each check)
//   node loadtest/lib/poll-status.mjs BASE_URL WAVE OUT_DIR
// Environment [defaults]: RATE [20], DURATION_SECS [10], POLL_SECS [2],
// MAX_SECS [300] (nobody checks past it).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import vm from "node:vm";

const [base, waveArg, out] = process.argv.slice(2);
if (!base || !waveArg || !out) throw new Error("usage: poll-status.mjs BASE_URL WAVE OUT_DIR");
const wave = Number(waveArg);
const rate = Number(process.env.RATE || 20);
const durationSecs = Number(process.env.DURATION_SECS || 10);
const pollSecs = Number(process.env.POLL_SECS || 2);
const deadline = Date.now() + Number(process.env.MAX_SECS || 300) * 1000;

// The load tests' applicant generator (written for k6: evaluated without
// its `export`s).
const gen = readFileSync(new URL("./applicants.js", import.meta.url), "utf8")
  .replace(/^export /gm, "");
const sandbox = { Math, Date, String, Number };
vm.runInNewContext(gen + "\nthis.applicantAt = applicantAt;", sandbox);

const receipts = [];
const polls = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function person(i) {
  const who = `10.99.${(i >> 8) & 255}.${i & 255}`;
  const body = sandbox.applicantAt(wave, i, wave);
  let res;
  try {
    res = await fetch(`${base}/v1/registrations`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": who },
      body: JSON.stringify(body),
    });
  } catch (_) { return; }
  if (res.status !== 202) return;
  const receipt = await res.json();
  const id = receipt.registration_id;
  receipts.push([id, Date.now(), receipt.estimated_wait_seconds]);
  const url = `${base}/v1/registrations/${id}?queue_mark=${receipt.queue_mark}`;
  while (Date.now() + pollSecs * 1000 < deadline) {
    await sleep(pollSecs * 1000);
    let s;
    try {
      const r = await fetch(url, { headers: { "x-forwarded-for": who } });
      if (r.status !== 200) continue;
      s = await r.json();
    } catch (_) { continue; }
    if (s.status !== "queued") return;
    if (s.estimated_wait_seconds === undefined) continue;
    polls.push([id, Date.now(), s.estimated_wait_seconds, s.queue_position_estimate]);
  }
}

const people = [];
const start = Date.now();
const total = Math.round(rate * durationSecs);
for (let i = 0; i < total; i++) {
  const at = start + (i * 1000) / rate;
  if (at > Date.now()) await sleep(at - Date.now());
  people.push(person(i));
}
await Promise.all(people);
const csv = (rows) => rows.map((r) => r.join(",")).join("\n") + "\n";
writeFileSync(join(out, "receipts.csv"), csv(receipts));
writeFileSync(join(out, "polls.csv"), csv(polls));
console.log(`poll-status: ${receipts.length} receipts, ${polls.length} status checks`);
