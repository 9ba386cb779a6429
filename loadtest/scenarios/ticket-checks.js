// ticket-checks: RATE checks/s of one ticket for 10 s, each from its own
// address (loadtest/waitroom.sh measures the gateway's CPU per check).
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';

const URL = __ENV.URL;
if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(URL || '')) {
  throw new Error('URL must be on this machine');
}

export const options = {
  scenarios: {
    checks: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 300),
      timeUnit: '1s',
      duration: '10s',
      preAllocatedVUs: 50,
      maxVUs: 200,
    },
  },
};

export default function () {
  const i = exec.scenario.iterationInTest;
  const res = http.get(URL, { headers: { 'x-forwarded-for': `10.200.${(i >> 8) & 255}.${i & 255}` } });
  check(res, { 'ticket status 200': (r) => r.status === 200 });
}
