// smoke: a few seconds at ~20 registrations/s, for CI. Nothing may be
// refused: 429/503 count as unexpected here.

import { num, scenario } from '../lib/iteration.js';

export const options = scenario(
  'smoke',
  {
    executor: 'constant-arrival-rate',
    rate: num('RATE', 20),
    timeUnit: '1s',
    duration: __ENV.DURATION || '10s',
    preAllocatedVUs: num('PRE_VUS', 10),
    maxVUs: num('MAX_VUS', 50),
  },
  { allowRefusals: false, p99Ms: 500, maxDropped: 0 },
);

export { iteration as default, handleSummary } from '../lib/iteration.js';
