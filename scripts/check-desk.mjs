// Drives the agents' console (/desk/) in headless Chromium at a phone's
// width: token → a look-up refused for its reason (the API's problem shown,
// field and message) → a look-up answered, masked → an action → its
// refusal shown; every field labelled, no CSP violation.
// Saves a screenshot of each step. Talks to Chromium over
// --remote-debugging-pipe, so it needs nothing but Node and Chromium. Run
// by scripts/check-desk.sh (through an ignored admin API test, which
// starts the API and records the applicant).
//   node scripts/check-desk.mjs BASE_URL AGENT_TOKEN NIK OUT_DIR
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, token, nik, out] = process.argv.slice(2);
if (!base || !token || !nik || !out) throw new Error("usage: check-desk.mjs BASE_URL AGENT_TOKEN NIK OUT_DIR");
mkdirSync(out, { recursive: true });

const chrome = spawn(process.env.CHROMIUM || "chromium", [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
  "--user-data-dir=" + mkdtempSync(join(tmpdir(), "check-desk-")), "about:blank",
], { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] });
const [toChrome, fromChrome] = [chrome.stdio[3], chrome.stdio[4]];

let nextId = 1;
const waiting = new Map();
const logged = [];
let buffer = "";
fromChrome.on("data", (chunk) => {
  buffer += chunk.toString("utf8");
  let end;
  while ((end = buffer.indexOf("\0")) >= 0) {
    const msg = JSON.parse(buffer.slice(0, end));
    buffer = buffer.slice(end + 1);
    if (msg.method === "Log.entryAdded") logged.push(msg.params.entry);
    const w = msg.id && waiting.get(msg.id);
    if (!w) continue;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new Error(JSON.stringify(msg.error)));
    else w.resolve(msg.result);
  }
});

function send(method, params = {}, sessionId) {
  const id = nextId++;
  toChrome.write(JSON.stringify({ id, method, params, sessionId }) + "\0");
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}

const { targetId } = await send("Target.createTarget", { url: "about:blank" });
const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
const page = (method, params) => send(method, params, sessionId);
await page("Emulation.setDeviceMetricsOverride",
  { width: 390, height: 844, deviceScaleFactor: 1, mobile: true });

async function js(expression) {
  const r = await page("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
  if (r.exceptionDetails) throw new Error(expression + ": " + JSON.stringify(r.exceptionDetails));
  return r.result.value;
}

async function until(what, expression, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try { if (await js(expression)) return; } catch (_) { /* page loading */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("timed out waiting for " + what);
}

async function shot(name) {
  const { cssContentSize } = await page("Page.getLayoutMetrics");
  const height = Math.ceil(cssContentSize.height);
  const { data } = await page("Page.captureScreenshot", {
    format: "png", captureBeyondViewport: true,
    clip: { x: 0, y: 0, width: 390, height, scale: 1 },
  });
  writeFileSync(join(out, name + ".png"), Buffer.from(data, "base64"));
  console.log("  " + name + ".png");
}


const $ = (id) => `document.getElementById(${JSON.stringify(id)})`;
const text = (id) => js(`${$(id)}.textContent`);

try {
  await page("Page.enable");
  await page("Log.enable");
  await page("Page.navigate", { url: `${base}/desk/` });
  await until("the console", `document.readyState === "complete" && !!${$("lookup")}`);
  const unlabelled = await js(`[...document.querySelectorAll("input, select")]
    .filter((e) => e.type !== "hidden" && e.labels.length === 0).map((e) => e.name)`);
  if (unlabelled.length) throw new Error("fields without a label: " + unlabelled.join(", "));
  const wide = await js(`document.documentElement.scrollWidth > window.innerWidth`);
  if (wide) throw new Error("the page scrolls sideways at 390 px");
  await shot("01-console");

  await js(`${$("token")}.value = ${JSON.stringify(token)}; ${$("token-form")}.requestSubmit()`);
  await until("the token kept", `sessionStorage.length === 1 && ${$("token")}.value === ""`);
  if ((await js(`localStorage.length`)) !== 0) throw new Error("something went to localStorage");

  // The browser would stop an empty reason itself: let it through to see
  // the API's answer shown.
  await js(`(() => { const f = ${$("lookup")}; f.noValidate = true;
    f.elements.value.value = ${JSON.stringify(nik)}; f.elements.reason.value = "";
    f.requestSubmit(); })()`);
  await until("the problem", `!${$("problem")}.hidden`, 20);
  const problem = await text("problem");
  if (!problem.includes("reason:")) throw new Error("the problem does not name the reason: " + problem);
  if ((await js(`document.activeElement.id`)) !== "problem") throw new Error("focus is not on the problem");
  await shot("02-reason-required");

  await js(`(() => { const f = ${$("lookup")}; f.noValidate = false;
    f.elements.value.value = ${JSON.stringify(nik)}; f.elements.reason.value = "ticket 4711: check";
    f.requestSubmit(); })()`);
  await until("the answer", `!${$("results")}.hidden`, 20);
  const found = await text("registrations");
  if (!found.includes("Wave ")) throw new Error("no registration shown: " + found);
  if (found.includes(nik)) throw new Error("the NIK is shown in clear");
  if (!found.includes(nik.slice(12))) throw new Error("the masked NIK is not shown");
  if ((await js(`${$("lookup-value")}.value`)) !== "") throw new Error("the value stays in the form");
  await shot("03-answer");

  const act = async (action) => {
    await js(`(() => { const f = ${$("act")};
      f.querySelector('input[name=action][value="${action}"]').checked = true;
      f.elements.reason.value = "ticket 4711: caller asks"; f.requestSubmit(); })()`);
    await until("the action's answer",
      `${$("done")}.textContent !== "" || !${$("problem")}.hidden`, 20);
  };
  await act("replay-request");
  if (!(await text("done")).startsWith("Done")) throw new Error("the replay request failed: " + await text("problem"));
  await shot("04-replay-requested");
  // Re-sending the link: refused at the day's limit (or as verified
  // already); either way the API's problem is shown.
  for (let i = 0; i < 4 && (await js(`${$("problem")}.hidden`)); i++) await act("verification-email");
  if (await js(`${$("problem")}.hidden`)) throw new Error("no refusal shown");
  const limit = await text("problem");
  await shot("05-refused");

  const violations = logged.filter((e) => /Content Security Policy|Refused to/i.test(e.text));
  if (violations.length) throw new Error("CSP violations: " + violations.map((e) => e.text).join("; "));
  console.log("desk check passed: " + found.split("\n")[0].slice(0, 60) + " | " + limit.slice(0, 80));
} finally {
  chrome.kill();
}
