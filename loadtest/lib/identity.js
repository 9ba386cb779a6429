// The registration id the gateway derives from (NIK, wave), computed here so
// that a refused or unanswered request can still be named in the audit
// without logging any personal data. Same rule as crates/domain
// (RegistrationId::derive): HMAC-SHA256 under the deployment's identity key.
//
// The key is the pipeline's LONJAK_IDENTITY__KEY (deploy/local/env.sh);
// without it no id is derived and refusals are logged without one.

import crypto from 'k6/crypto';

const KEY_HEX = __ENV.LONJAK_IDENTITY__KEY || '';

function ascii(text) {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function fromHex(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(2 * i, 2), 16);
  return bytes;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const KEY = /^([0-9a-f]{2}){32,}$/i.test(KEY_HEX) ? fromHex(KEY_HEX).buffer : null;

/** Whether ids can be derived (a well-formed key was given). */
export const CAN_DERIVE = KEY !== null;

/** The 32-hex registration id of `nik` in `wave`, or null without a key. */
export function registrationId(nik, wave) {
  if (KEY === null) return null;
  const data = concat(ascii('lonjak.registration-id\0'), ascii(nik), ascii('\0'), ascii(String(wave)));
  const body = crypto.hmac('sha256', KEY, data.buffer, 'hex').slice(0, 24);
  const tagData = concat(ascii('lonjak.registration-tag\0'), fromHex(body));
  return body + crypto.hmac('sha256', KEY, tagData.buffer, 'hex').slice(0, 8);
}
