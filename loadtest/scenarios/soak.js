// soak: a steady, sustainable rate for a bounded time (DURATION, default
// 5m, at most SOAK_MAX_MINUTES), to find slow leaks and a queue that creeps.
// Refusals are unexpected unless ALLOW_REFUSALS=1.

import { num, scenario } from '../lib/iteration.js';

const DURATION = __ENV.DURATION || '5m';
const UNIT_SECONDS = { s: 1, m: 60, h: 3600 };
const parts = /^(\d+)([smh])$/.exec(DURATION);
if (parts === null) throw new Error(`DURATION must look like 90s, 30m or 1h, got ${DURATION}`);
const limit = num('SOAK_MAX_MINUTES', 120);
if (Number(parts[1]) * UNIT_SECONDS[parts[2]] > limit * 60) {
  throw new Error(`DURATION ${DURATION} exceeds SOAK_MAX_MINUTES=${limit}`);
}

export const options = scenario(
  'soak',
  {
    executor: 'constant-arrival-rate',
    rate: num('RATE', 100),
    timeUnit: '1s',
    duration: DURATION,
    preAllocatedVUs: num('PRE_VUS', 20),
    maxVUs: num('MAX_VUS', 200),
  },
  { allowRefusals: false, p99Ms: 100 },
);

export { iteration as default, handleSummary } from '../lib/iteration.js';
