// overload: 10x what the pipeline sustains (RATE, or 10 x SUSTAINABLE_RATE),
// for a bounded time. The gateway must keep answering fast, refusing the
// excess with 429/503, and lose nothing it accepted.

import { num, scenario } from '../lib/iteration.js';

const RATE = num('RATE', 10 * num('SUSTAINABLE_RATE', 150));

export const options = scenario(
  'overload',
  {
    executor: 'ramping-arrival-rate',
    startRate: 0,
    timeUnit: '1s',
    preAllocatedVUs: num('PRE_VUS', 100),
    maxVUs: num('MAX_VUS', 1000),
    stages: [
      // A short ramp so k6 has its VUs ready, then the overload itself.
      { target: RATE, duration: __ENV.RAMP || '5s' },
      { target: RATE, duration: __ENV.DURATION || '30s' },
    ],
  },
  { allowRefusals: true, p99Ms: 100 },
);

export { iteration as default, handleSummary } from '../lib/iteration.js';
