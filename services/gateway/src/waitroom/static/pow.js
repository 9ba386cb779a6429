// The waiting room's proof of work (docs/architecture.md): find a decimal
// nonce such that SHA-256 of "challenge:nonce" starts with `bits` zero
// bits, 2^bits hashes on average. Web Crypto hashes asynchronously, so
// nonces are tried in batches; `progress` hears how many were tried.
// Web Crypto needs a secure context (HTTPS, or localhost).
"use strict";

function zeroBits(bytes) {
  let bits = 0;
  for (const b of bytes) {
    if (b !== 0) return bits + Math.clz32(b) - 24;
    bits += 8;
  }
  return bits;
}

async function solveChallenge(challenge, bits, progress) {
  const enc = new TextEncoder();
  const prefix = challenge + ":";
  const batch = 512;
  for (let start = 0; ; start += batch) {
    const digests = await Promise.all(Array.from({ length: batch }, (_, i) =>
      crypto.subtle.digest("SHA-256", enc.encode(prefix + (start + i)))));
    for (let i = 0; i < batch; i++) {
      if (zeroBits(new Uint8Array(digests[i])) >= bits) {
        return { nonce: String(start + i), tried: start + i + 1 };
      }
    }
    if (progress) progress(start + batch);
  }
}
