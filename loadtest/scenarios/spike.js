// spike: the opening-day storm. Ramp from 0 to 80,000 registrations/minute
// (1,333/s) within 30 s, hold, ramp down. 429/503 are declared outcomes; the
// goal is accepted p99 under 100 ms and nothing lost.

import { num, scenario } from '../lib/iteration.js';

const PEAK = num('PEAK_RATE', 1333);

export const options = scenario(
  'spike',
  {
    executor: 'ramping-arrival-rate',
    startRate: 0,
    timeUnit: '1s',
    preAllocatedVUs: num('PRE_VUS', 100),
    maxVUs: num('MAX_VUS', 1000),
    stages: [
      { target: PEAK, duration: __ENV.RAMP || '30s' },
      { target: PEAK, duration: __ENV.HOLD || '60s' },
      { target: 0, duration: __ENV.RAMP_DOWN || '15s' },
    ],
  },
  { allowRefusals: true, p99Ms: 100 },
);

export { iteration as default, handleSummary } from '../lib/iteration.js';
