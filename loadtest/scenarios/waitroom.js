// waitroom: an opening-day crowd through the waiting room. CROWD people
// arrive over JOIN_SECS (open model: they come whatever the answers); each
// joins the wave's queue from an address of their own, checks the ticket
// when the gateway says to, registers once admitted (after FORM_SECS of
// filling in the form), and keeps the receipt. Driven by
// loadtest/waitroom.sh, which opens the wave OPEN_AFTER seconds into the
// run, so the first people join before opening.
//
// Reports: join → receipt time, announced vs actual wait to admission,
// requests per registration, refusals. Order is checked from the database
// by the runner.

import http from 'k6/http';
import { sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { applicantAt } from '../lib/applicants.js';

const BASE = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const WAVE = Number(__ENV.WAVE || 1);
const CROWD = Number(__ENV.CROWD || 2000);
const JOIN_SECS = Number(__ENV.JOIN_SECS || 30);
const FORM_SECS = Number(__ENV.FORM_SECS || 5);
const SEED = Number(__ENV.RUN_SEED || WAVE);
const DIRECT = __ENV.DIRECT === '1';

if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(BASE)) {
  throw new Error(`BASE_URL must be on this machine (got ${BASE})`);
}

const toReceipt = new Trend('join_to_receipt_ms', true);
const estimateError = new Trend('estimate_error_s');
const estimateOk = new Counter('estimate_within');
const estimates = new Counter('estimates');
const requests = new Counter('person_requests');
const receipts = new Counter('receipts');
const refused = new Counter('refusals_429_503');
// 429/503 answers to admitted people's submissions (they hold a ticket).
const submitRefused = new Counter('admitted_submit_refusals');
const submits = new Counter('admitted_submits');
const failed = new Counter('gave_up');

export const options = {
  scenarios: {
    crowd: {
      executor: 'constant-arrival-rate',
      rate: Math.ceil(CROWD / JOIN_SECS),
      timeUnit: '1s',
      duration: `${JOIN_SECS}s`,
      preAllocatedVUs: Math.min(CROWD, 500),
      maxVUs: CROWD,
      gracefulStop: `${Number(__ENV.MAX_WAIT_SECS || 600)}s`,
    },
  },
  summaryTrendStats: ['p(50)', 'p(95)', 'p(99)', 'max', 'count'],
};

function address(i) {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

function call(method, url, body, headers) {
  requests.add(1);
  const res = http.request(method, url, body, { headers, timeout: '30s' });
  if (res.status === 429 || res.status === 503) refused.add(1);
  return res;
}

function retryAfter(res, fallback) {
  const v = Number(res.headers['Retry-After']);
  return v > 0 ? v : fallback;
}

// Without the waiting room: submit, and on 429/503 wait Retry-After and
// submit again, like a patient person (a bot would not wait).
function direct(person, body, started) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = call('POST', `${BASE}/v1/registrations`, JSON.stringify(body), {
      'content-type': 'application/json', 'x-forwarded-for': person,
    });
    if (res.status === 202) {
      receipts.add(1);
      toReceipt.add(Date.now() - started);
      return;
    }
    sleep(retryAfter(res, 1));
  }
  failed.add(1);
}

export default function () {
  const i = exec.scenario.iterationInTest;
  const person = address(i + 1);
  const started = Date.now();
  const body = applicantAt(SEED, i, WAVE);
  if (DIRECT) {
    sleep(FORM_SECS);
    direct(person, body, started);
    return;
  }
  const hdr = { 'x-forwarded-for': person };
  let res = call('POST', `${BASE}/v1/waves/${WAVE}/queue`, null, hdr);
  for (let n = 0; n < 100 && (res.status === 409 || res.status === 429 || res.status === 503); n++) {
    sleep(retryAfter(res, 1));
    res = call('POST', `${BASE}/v1/waves/${WAVE}/queue`, null, hdr);
  }
  if (res.status !== 200 && res.status !== 201) { failed.add(1); return; }
  let status = res.json();
  const ticket = status.ticket;
  let announced = null;
  let announcedAt = 0;
  const deadline = Date.now() + Number(__ENV.MAX_WAIT_SECS || 600) * 1000;
  while (status.state !== 'admitted' && Date.now() < deadline) {
    if (announced === null && status.state === 'waiting' && status.estimated_wait) {
      announced = status.estimated_wait.seconds;
      announcedAt = Date.now();
    }
    if (status.state === 'expired' || status.state === 'used') break;
    sleep(status.poll_after_seconds || 1);
    const r = call('GET', `${BASE}/v1/waves/${WAVE}/queue/${ticket}`, null, hdr);
    if (r.status === 200) status = r.json();
  }
  if (status.state !== 'admitted') { failed.add(1); return; }
  if (announced !== null) {
    // Checks come every poll_after_seconds: the admission is known to
    // within one poll interval; count the midpoint.
    const actual = (Date.now() - announcedAt) / 1000;
    estimates.add(1);
    estimateError.add(announced - actual);
    if (Math.abs(announced - actual) <= Math.max(0.25 * actual, 2 + (status.poll_after_seconds || 1))) {
      estimateOk.add(1);
    }
  }
  sleep(FORM_SECS);
  const headers = {
    'content-type': 'application/json', 'waitroom-ticket': ticket, 'x-forwarded-for': person,
  };
  submits.add(1);
  let sent = call('POST', `${BASE}/v1/registrations`, JSON.stringify(body), headers);
  // Like the page: resubmit after Retry-After, within the permission.
  for (let n = 0; n < 20 && (sent.status === 429 || sent.status === 503); n++) {
    submitRefused.add(1);
    sleep(retryAfter(sent, 1));
    sent = call('POST', `${BASE}/v1/registrations`, JSON.stringify(body), headers);
  }
  if (sent.status === 202) {
    receipts.add(1);
    toReceipt.add(Date.now() - started);
  } else {
    failed.add(1);
  }
}
