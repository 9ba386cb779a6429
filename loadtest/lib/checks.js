// Response-shape checks for the gateway's answers. Each returns whether
// every check passed; the checks feed k6's `checks` rate threshold.

import { check } from 'k6';

const ID = /^[0-9a-f]{32}$/;

function json(res) {
  try {
    return res.json();
  } catch (_) {
    return null;
  }
}

/** 202: a receipt naming the id, its status URL and a Location header. */
export function checkAccepted(res, expectedId) {
  const body = json(res);
  const id = body && body.registration_id;
  const ok = check(res, {
    'accepted: registration_id is 32 hex': () => typeof id === 'string' && ID.test(id),
    'accepted: status is queued': () => body !== null && body.status === 'queued',
    'accepted: status_url points at the id': () =>
      body !== null && body.status_url === `/v1/registrations/${id}`,
    'accepted: Location header names the id': () =>
      (res.headers['Location'] || '').endsWith(`/v1/registrations/${id}`),
    'accepted: a re-submission gets the same id': () =>
      expectedId === undefined || id === expectedId,
  });
  return { ok, id: typeof id === 'string' && ID.test(id) ? id : null };
}

function isProblem(res, status) {
  const body = json(res);
  return (
    (res.headers['Content-Type'] || '').startsWith('application/problem+json') &&
    body !== null && body.status === status && typeof body.title === 'string'
  );
}

/** 422: a problem document naming the invalid field (when known). */
export function checkInvalid(res, field) {
  return check(res, {
    'invalid: problem+json with status 422': () => isProblem(res, 422),
    'invalid: errors name the bad field': () => {
      const errors = (json(res) || {}).errors;
      return (
        Array.isArray(errors) && errors.length > 0 &&
        errors.every((e) => e.field && e.rule && e.message) &&
        (field === null || errors.some((e) => e.field === field))
      );
    },
  });
}

/** 429 / 503: a cheap refusal that says when to come back. */
export function checkRefused(res) {
  return check(res, {
    'refused: problem+json': () => isProblem(res, res.status),
    'refused: Retry-After in seconds': () => /^\d+$/.test(res.headers['Retry-After'] || ''),
  });
}
