// What the page's proof of work costs in JavaScript: runs the page's own
// solver (services/gateway/src/waitroom/static/pow.js) on Node's Web Crypto,
// the same API the browser offers. Figures in docs/benchmarks.md.
//   node scripts/pow-cost-js.mjs [SOLVES]
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import vm from "node:vm";

const here = new URL("../services/gateway/src/waitroom/static/pow.js", import.meta.url);
const context = vm.createContext({ crypto: globalThis.crypto, TextEncoder, Array, Promise, Uint8Array, Math, String });
vm.runInContext(readFileSync(here, "utf8"), context);
const solves = Number(process.argv[2]) || 10;

console.log("| difficulty (bits) | mean hashes | mean solve | hashes/s |");
console.log("|---:|---:|---:|---:|");
for (const bits of [8, 12, 16, 18]) {
  let hashes = 0;
  const start = performance.now();
  for (let i = 0; i < solves; i++) {
    const challenge = randomBytes(46).toString("hex");
    const { tried } = await context.solveChallenge(challenge, bits);
    hashes += tried;
  }
  const ms = performance.now() - start;
  console.log(`| ${bits} | ${Math.round(hashes / solves)} | ${(ms / solves).toFixed(0)} ms | ${Math.round(hashes / ms * 1000).toLocaleString("en")} |`);
}
