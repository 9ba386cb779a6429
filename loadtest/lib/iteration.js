// What every scenario shares: configuration from the environment, the one
// iteration (one registration attempt), the outcome counters, thresholds and
// the per-run JSON summary. A scenario file only chooses its executor.

import http from 'k6/http';
import exec from 'k6/execution';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
import { applicantAt, fraction, invalidAt } from './applicants.js';
import { checkAccepted, checkInvalid, checkRefused } from './checks.js';
import { CAN_DERIVE, registrationId } from './identity.js';

function num(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got ${raw}`);
  return n;
}

function flag(name, fallback) {
  const raw = __ENV[name];
  return raw === undefined || raw === '' ? fallback : /^(1|true|yes)$/i.test(raw);
}

export { num, flag };

export const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080';
// Load is only ever aimed at this machine unless explicitly allowed.
if (!/^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/|$)/.test(BASE_URL) && !flag('ALLOW_REMOTE', false)) {
  throw new Error(`BASE_URL ${BASE_URL} is not local; set ALLOW_REMOTE=1 to aim elsewhere`);
}
export const WAVE = num('WAVE', 1);
const SEED = num('RUN_SEED', WAVE);
const DUP_SHARE = num('DUP_SHARE', 0.02);
const INVALID_SHARE = num('INVALID_SHARE', 0.02);
// When > 0, each VU claims to be one of this many clients (X-Forwarded-For),
// for gateways configured to trust the load generator as a proxy.
const CLIENT_IPS = num('CLIENT_IPS', 0);
const URL = `${BASE_URL}/v1/registrations`;

const accepted = new Counter('registrations_accepted');
const invalid = new Counter('registrations_invalid');
const rateLimited = new Counter('registrations_rate_limited');
const overloaded = new Counter('registrations_overloaded');
const unexpected = new Counter('unexpected_status');
const noAnswer = new Counter('registrations_no_answer');
const duplicatesSent = new Counter('duplicates_sent');
const invalidSent = new Counter('invalid_sent');

const LOG_ESTIMATES = __ENV.LOG_ESTIMATES === '1';
let settings = { name: 'unnamed', allowRefusals: false, p99Ms: 100 };

/**
 * Declares the scenario: its name, executor and defaults for what is
 * expected. Returns the k6 options. Must be called from the init context.
 */
export function scenario(name, executor, defaults) {
  settings = {
    name,
    allowRefusals: flag('ALLOW_REFUSALS', defaults.allowRefusals),
    p99Ms: num('P99_MS', defaults.p99Ms),
    maxDropped: __ENV.MAX_DROPPED === undefined ? defaults.maxDropped : num('MAX_DROPPED', 0),
  };
  // Declared outcomes are not failures in http_req_failed; anything else is.
  http.setResponseCallback(
    settings.allowRefusals ? http.expectedStatuses(202, 422, 429, 503) : http.expectedStatuses(202, 422),
  );
  return {
    scenarios: { [name]: executor },
    // p(50)/p(95)/p(99) must be listed to appear in the summary the audit reads.
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(50)', 'p(95)', 'p(99)'],
    thresholds: {
      unexpected_status: ['count==0'],
      http_req_failed: ['rate==0'],
      // k6 tags each request with its status: this is the 202s only.
      'http_req_duration{status:202}': [`p(99)<${settings.p99Ms}`],
      checks: [`rate>=${num('CHECKS_RATE', 0.99)}`],
      // Always listed so the summary reports it; bounded only when asked.
      dropped_iterations: [settings.maxDropped === undefined ? 'count>=0' : `count<=${settings.maxDropped}`],
    },
  };
}

// Per-VU memory of accepted applicants, re-submitted as duplicates.
const recent = [];
const RECENT_MAX = 64;
let warnings = 0;

function post(body, kind) {
  const headers = { 'Content-Type': 'application/json' };
  if (CLIENT_IPS > 0) {
    const n = exec.vu.idInTest % CLIENT_IPS;
    headers['X-Forwarded-For'] = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  }
  return http.post(URL, JSON.stringify(body), { headers, tags: { kind }, timeout: '10s' });
}

function surprise(res, kind) {
  unexpected.add(1, { status: String(res.status), kind });
  if (warnings++ < 10) {
    // Field names and rules only: bodies may echo personal data.
    let detail = '';
    try {
      detail = (res.json().errors || []).map((e) => `${e.field}:${e.rule}`).join(',');
    } catch (_) {
      detail = res.error || '';
    }
    console.warn(`UNEXPECTED status=${res.status} kind=${kind} ${detail}`);
  }
}

/** One registration attempt: fresh applicant, duplicate, or invalid. */
export function iteration() {
  const index = exec.scenario.iterationInTest;
  const r = fraction(SEED, index, 1);
  let kind = 'fresh';
  let body;
  let field = null;
  let expectedId;
  if (r < DUP_SHARE && recent.length > 0) {
    kind = 'duplicate';
    const earlier = recent[index % recent.length];
    body = earlier.body;
    expectedId = earlier.id;
    duplicatesSent.add(1);
  } else if (r >= DUP_SHARE && r < DUP_SHARE + INVALID_SHARE) {
    kind = 'invalid';
    [, field, body] = invalidAt(SEED, index, WAVE);
    invalidSent.add(1);
  } else {
    // Also a duplicate's slot before this VU has anyone to re-submit.
    body = applicantAt(SEED, index, WAVE);
  }

  const res = post(body, kind);
  const wantsInvalid = kind === 'invalid';
  // Only valid bodies can be stored, so only they are named when refused or
  // unanswered: the audit then tells "refused, yet stored" from "never sent".
  const derived = wantsInvalid ? null : registrationId(body.nik, body.wave);
  if (res.status === 202 && !wantsInvalid) {
    accepted.add(1);
    const { id } = checkAccepted(res, expectedId);
    if (CAN_DERIVE) {
      check(res, { 'accepted: the id is the one derived from NIK and wave': () => id === derived });
    }
    if (id) {
      // The audit reads these lines from k6's --console-output file.
      console.log(`ACCEPTED ${id}`);
      if (LOG_ESTIMATES && kind === 'fresh') {
        // For loadtest/wait-accuracy.sh: the wait announced, and when.
        const wait = res.json().estimated_wait_seconds;
        console.log(`ESTIMATE ${id} ${Date.now()} ${wait}`);
      }
      if (kind === 'fresh') {
        if (recent.length >= RECENT_MAX) recent.shift();
        recent.push({ body, id });
      }
    }
  } else if (res.status === 422 && wantsInvalid) {
    invalid.add(1);
    checkInvalid(res, field);
  } else if ((res.status === 429 || res.status === 503) && settings.allowRefusals) {
    (res.status === 429 ? rateLimited : overloaded).add(1);
    checkRefused(res);
    console.log(`REFUSED ${derived || '-'} status=${res.status}`);
  } else {
    if (res.status === 0) {
      // No answer at all: the outcome is unknown to the client.
      noAnswer.add(1);
      console.log(`NO_ANSWER ${derived || '-'}`);
    }
    surprise(res, kind);
  }
}

function value(data, metric, stat) {
  const m = data.metrics[metric];
  return m && m.values[stat] !== undefined ? m.values[stat] : 0;
}

function textSummary(data) {
  const ms = (v) => `${Number(v).toFixed(1)} ms`;
  const accepted202 = 'http_req_duration{status:202}';
  const lines = [
    `scenario ${settings.name}, wave ${WAVE}, ${BASE_URL}`,
    `  offered      ${value(data, 'iterations', 'count')} (dropped ${value(data, 'dropped_iterations', 'count')})`,
    `  accepted     ${value(data, 'registrations_accepted', 'count')}  p50 ${ms(value(data, accepted202, 'p(50)'))}  p95 ${ms(value(data, accepted202, 'p(95)'))}  p99 ${ms(value(data, accepted202, 'p(99)'))}`,
    `  invalid 422  ${value(data, 'registrations_invalid', 'count')}`,
    `  limited 429  ${value(data, 'registrations_rate_limited', 'count')}`,
    `  overload 503 ${value(data, 'registrations_overloaded', 'count')}`,
    `  unexpected   ${value(data, 'unexpected_status', 'count')} (no answer ${value(data, 'registrations_no_answer', 'count')})`,
    `  checks       ${(100 * value(data, 'checks', 'rate')).toFixed(2)} %`,
    '  thresholds:',
  ];
  for (const [name, metric] of Object.entries(data.metrics)) {
    for (const [expr, result] of Object.entries(metric.thresholds || {})) {
      lines.push(`    ${result.ok ? 'ok  ' : 'FAIL'} ${name}: ${expr}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** handleSummary: the JSON summary file (for the audit) and a short text. */
export function handleSummary(data) {
  data.lonjak = {
    scenario: settings.name,
    wave: WAVE,
    seed: SEED,
    base_url: BASE_URL,
    p99_target_ms: settings.p99Ms,
    allow_refusals: settings.allowRefusals,
    dup_share: DUP_SHARE,
    invalid_share: INVALID_SHARE,
  };
  const file = __ENV.SUMMARY_FILE || `summary-${settings.name}-${WAVE}.json`;
  return { [file]: JSON.stringify(data, null, 2), stdout: textSummary(data) };
}
