// photos: the upload flow at a constant rate of applicants. Each iteration
// registers one applicant, asks for upload URLs for the identity card and
// the selfie, PUTs both (small real JPEG/PNG files) straight to the object
// store with the presigned URLs, then confirms each. A share of the identity
// cards is a truncated JPEG the check must reject. Every confirmed upload
// prints `PHOTO <id> <kind> <key>` for the audit (lonjak-photo-audit).
// PHASE=urls asks only for upload URLs (both kinds) for applicants of WAVE
// who never registered (their ids derived with LONJAK_IDENTITY__KEY): the
// URL endpoint's own cost. Run by loadtest/bench-photos.sh, which prepares
// SAMPLES (the files).

import http from 'k6/http';
import exec from 'k6/execution';
import { check } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { applicantAt, fraction } from '../lib/applicants.js';
import { registrationId } from '../lib/identity.js';
import { num } from '../lib/iteration.js';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080';
if (!/^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/|$)/.test(BASE_URL)) {
  throw new Error(`BASE_URL ${BASE_URL} is not local`);
}
const WAVE = num('WAVE', 1);
const SEED = num('RUN_SEED', WAVE);
const BAD_SHARE = num('BAD_SHARE', 0.05);
const SAMPLES = __ENV.SAMPLES || 'loadtest/results/photo-samples';
const PHASE = __ENV.PHASE || 'flow';

// Binary files are read once, in the init context, by every VU.
const FILES = {
  ktp: [['ktp-1.jpg', 'image/jpeg'], ['ktp-2.jpg', 'image/jpeg']],
  selfie: [['selfie-1.jpg', 'image/jpeg'], ['selfie-2.png', 'image/png']],
  bad: [['truncated.jpg', 'image/jpeg']],
};
const BODIES = {};
for (const list of Object.values(FILES)) {
  for (const [name] of list) BODIES[name] = open(`${SAMPLES}/${name}`, 'b');
}

const registered = new Counter('photo_registrations');
const urlsIssued = new Counter('photo_urls_issued');
const uploaded = new Counter('photo_uploads');
const uploadedBytes = new Counter('photo_uploaded_bytes');
const confirmed = new Counter('photo_confirms');
const failed = new Counter('photo_steps_failed');
const urlTime = new Trend('photo_urls_duration', true);
const putTime = new Trend('photo_put_duration', true);
const completeTime = new Trend('photo_complete_duration', true);

export const options = {
  scenarios: {
    photos: {
      executor: 'constant-arrival-rate',
      rate: num('RATE', 20),
      timeUnit: '1s',
      duration: __ENV.DURATION || '30s',
      preAllocatedVUs: num('VUS', 50),
      maxVUs: num('MAX_VUS', 400),
    },
  },
  thresholds: {
    photo_steps_failed: ['count==0'],
    dropped_iterations: [`count<=${num('MAX_DROPPED', 0)}`],
  },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

const JSON_HEADERS = { headers: { 'content-type': 'application/json' } };

function step(res, name, want) {
  const ok = check(res, { [`${name}: ${want}`]: (r) => r.status === want });
  if (!ok) {
    failed.add(1);
    console.log(`FAILED ${name} status=${res.status}`);
  }
  return ok;
}

function urlsOnly(index) {
  const id = registrationId(applicantAt(SEED, index, WAVE).nik, WAVE);
  const ask = http.post(
    `${BASE_URL}/v1/registrations/${id}/photos`,
    JSON.stringify({
      photos: [
        { kind: 'ktp', content_type: 'image/jpeg' },
        { kind: 'selfie', content_type: 'image/png' },
      ],
    }),
    { ...JSON_HEADERS, tags: { name: 'photo_urls' } },
  );
  urlTime.add(ask.timings.duration);
  if (step(ask, 'upload urls', 200)) urlsIssued.add(ask.json().uploads.length);
}

export default function () {
  const index = exec.scenario.iterationInTest;
  if (PHASE === 'urls') {
    urlsOnly(index);
    return;
  }
  const body = applicantAt(SEED, index, WAVE);
  const reg = http.post(`${BASE_URL}/v1/registrations`, JSON.stringify(body), {
    ...JSON_HEADERS,
    tags: { name: 'register' },
  });
  if (!step(reg, 'register', 202)) return;
  registered.add(1);
  const id = reg.json().registration_id;

  const bad = fraction(SEED, index, 23) < BAD_SHARE;
  const pick = (list) => list[index % list.length];
  const chosen = {
    ktp: bad ? FILES.bad[0] : pick(FILES.ktp),
    selfie: pick(FILES.selfie),
  };
  const ask = http.post(
    `${BASE_URL}/v1/registrations/${id}/photos`,
    JSON.stringify({
      photos: Object.entries(chosen).map(([kind, [, type]]) => ({ kind, content_type: type })),
    }),
    { ...JSON_HEADERS, tags: { name: 'photo_urls' } },
  );
  urlTime.add(ask.timings.duration);
  if (!step(ask, 'upload urls', 200)) return;
  const uploads = ask.json().uploads;
  urlsIssued.add(uploads.length);

  // Both PUTs at once, as a browser would.
  const puts = http.batch(
    uploads.map((u) => ({
      method: 'PUT',
      url: u.url,
      body: BODIES[chosen[u.kind][0]],
      params: { headers: { 'content-type': u.content_type }, tags: { name: 'object_put' } },
    })),
  );
  const done = [];
  puts.forEach((res, i) => {
    putTime.add(res.timings.duration);
    if (step(res, 'object store PUT', 200)) {
      uploaded.add(1);
      uploadedBytes.add(BODIES[chosen[uploads[i].kind][0]].byteLength);
      done.push(uploads[i]);
    }
  });
  for (const u of done) {
    const res = http.post(
      `${BASE_URL}/v1/registrations/${id}/photos/${u.kind}/complete`,
      JSON.stringify({ key: u.key }),
      { ...JSON_HEADERS, tags: { name: 'photo_complete' } },
    );
    completeTime.add(res.timings.duration);
    if (step(res, 'complete', 202)) {
      confirmed.add(1);
      console.log(`PHOTO ${id} ${u.kind} ${u.key}`);
    }
  }
}

export function handleSummary(data) {
  const v = (m, s) => (data.metrics[m] && data.metrics[m].values[s]) || 0;
  const ms = (m, s) => `${v(m, s).toFixed(1)} ms`;
  const lines = [
    `photos: wave ${WAVE}, ${BASE_URL}`,
    `  iterations   ${v('iterations', 'count')} (dropped ${v('dropped_iterations', 'count')})`,
    `  registered   ${v('photo_registrations', 'count')}`,
    `  urls issued  ${v('photo_urls_issued', 'count')}`,
    `  uploaded     ${v('photo_uploads', 'count')} (${v('photo_uploaded_bytes', 'count')} bytes)`,
    `  confirmed    ${v('photo_confirms', 'count')}`,
    `  failed steps ${v('photo_steps_failed', 'count')}`,
    `  urls     p50 ${ms('photo_urls_duration', 'p(50)')} p99 ${ms('photo_urls_duration', 'p(99)')}`,
    `  PUT      p50 ${ms('photo_put_duration', 'p(50)')} p99 ${ms('photo_put_duration', 'p(99)')}`,
    `  complete p50 ${ms('photo_complete_duration', 'p(50)')} p99 ${ms('photo_complete_duration', 'p(99)')}`,
  ];
  const out = { stdout: lines.join('\n') + '\n' };
  if (__ENV.SUMMARY) out[__ENV.SUMMARY] = JSON.stringify(data, null, 2);
  return out;
}
