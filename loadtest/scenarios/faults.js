// faults: a steady load under which a fault is injected (loadtest/fault.sh).
// Refusals (429/503 with Retry-After) are declared outcomes: while the broker
// or the database is away the gateway must refuse honestly. A request that
// gets no answer or a 5xx other than 503 still fails the run. Latency is not
// judged here (P99_MS defaults high); loss and duplication are the audit's.

import { num, scenario } from '../lib/iteration.js';

export const options = scenario(
  'faults',
  {
    executor: 'constant-arrival-rate',
    rate: num('RATE', 100),
    timeUnit: '1s',
    duration: __ENV.DURATION || '40s',
    preAllocatedVUs: num('PRE_VUS', 50),
    maxVUs: num('MAX_VUS', 500),
  },
  { allowRefusals: true, p99Ms: 10000 },
);

export { iteration as default, handleSummary } from '../lib/iteration.js';
