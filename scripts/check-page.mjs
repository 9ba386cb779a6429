// Drives the applicants' page in headless Chromium, at a phone's width,
// through join → (challenge) → waiting → admitted → a field error shown
// beside its field, in the page's language (Indonesian) → receipt → status,
// and saves a screenshot of each step.
// Talks to Chromium over --remote-debugging-pipe (Chrome DevTools
// Protocol), so it needs nothing but Node and Chromium. Run by
// scripts/check-page.sh, which brings the gateway up first.
//   node scripts/check-page.mjs BASE_URL WAVE OUT_DIR
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vm from "node:vm";

const [base, wave, out] = process.argv.slice(2);
if (!base || !wave || !out) throw new Error("usage: check-page.mjs BASE_URL WAVE OUT_DIR");

// A valid applicant, from the load tests' generator (an ES module written
// for k6: evaluated here without its `export`s).
const gen = readFileSync(new URL("../loadtest/lib/applicants.js", import.meta.url), "utf8")
  .replace(/^export /gm, "");
const sandbox = { Math, Date, String, Number };
vm.runInNewContext(gen + "\nthis.applicantAt = applicantAt;", sandbox);
const person = sandbox.applicantAt(Date.now() % 100000, 1, Number(wave));

const chrome = spawn(process.env.CHROMIUM || "chromium", [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
  "--user-data-dir=" + mkdtempSync(join(tmpdir(), "check-page-")), "about:blank",
], { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] });
const [toChrome, fromChrome] = [chrome.stdio[3], chrome.stdio[4]];

let nextId = 1;
const waiting = new Map();
let buffer = "";
fromChrome.on("data", (chunk) => {
  buffer += chunk.toString("utf8");
  let end;
  while ((end = buffer.indexOf("\0")) >= 0) {
    const msg = JSON.parse(buffer.slice(0, end));
    buffer = buffer.slice(end + 1);
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
// A phone: 390 CSS pixels wide.
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
const fill = (values) => js(`(() => { const v = ${JSON.stringify(values)};
  for (const [k, x] of Object.entries(v)) {
    const el = ${$("form")}.elements[k];
    if (el.type === "checkbox") el.checked = x; else el.value = x;
  } })()`);

try {
  await page("Page.enable");
  await page("Page.navigate", { url: `${base}/?wave=${wave}` });
  await until("the queue section", `!${$("queue")}.hidden && !${$("join")}.hidden`);
  await shot("01-queue");

  await js(`${$("join")}.click()`);
  // With a challenge the page shows that it is working on it.
  await until("the challenge or the ticket",
    `!${$("working")}.hidden || !${$("ticket")}.hidden`, 30);
  if (await js(`!${$("working")}.hidden`)) await shot("02-solving-the-challenge");
  await until("a ticket", `!${$("ticket")}.hidden && ${$("ticket-state")}.textContent !== ""`, 120);
  await shot("03-in-the-queue");

  await until("admission", `!${$("register")}.hidden`, 180);
  await shot("04-admitted-form");

  const { wave: _w, ...fields } = person;
  await fill({ ...fields, nik: person.nik.slice(0, 15) });
  await js(`${$("form")}.requestSubmit()`);
  await until("the NIK's error beside it", `${$("nik-err")}.textContent !== ""`, 30);
  // The page is in Indonesian, and so is the API's message beside the field
  // (the gateway's text for rule `length` of `nik`), with no English in it.
  const nikError = await js(`${$("nik-err")}.textContent`);
  if (nikError !== "NIK harus 16 digit angka") {
    throw new Error("the NIK's error is not the Indonesian message: " + nikError);
  }
  if (await js(`${$("nik")}.getAttribute("aria-invalid")`) !== "true") {
    throw new Error("the NIK field is not marked invalid");
  }
  if (await js(`document.activeElement.id`) !== "nik") throw new Error("focus is not on the NIK");
  await shot("05-field-error");

  await fill({ nik: person.nik });
  await js(`${$("form")}.requestSubmit()`);
  await until("the receipt", `!${$("receipt")}.hidden`, 60);
  const receipt = await js(`${$("receipt-id")}.textContent`);
  if (!/^[0-9a-z-]{8,}$/i.test(receipt)) throw new Error("no registration id on the receipt: " + receipt);
  await shot("06-receipt");

  // The status is found once the pipeline has stored the registration.
  await until("the status", `(async () => {
    ${$("status-form")}.requestSubmit();
    await new Promise((r) => setTimeout(r, 1000));
    return ${$("status-out")}.textContent.startsWith("Status");
  })()`, 60);
  const status = await js(`${$("status-out")}.textContent`);
  if (!status.startsWith("Status")) throw new Error("status not shown: " + status);
  await shot("07-status");

  await js(`${$("lang-en")}.click()`);
  await until("English", `document.documentElement.lang === "en"`, 10);
  await shot("08-status-english");
  console.log("page check passed: receipt " + receipt + ", " + status);
} finally {
  chrome.kill();
}
