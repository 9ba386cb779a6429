// The applicant's page: join the queue, watch the place, register when
// admitted, keep the receipt, check a status later. Talks only to this
// gateway's API; keeps only the ticket and the registration id (never
// personal data) in localStorage, so a reload keeps the place.
"use strict";

const T = {
  id: {
    title: "Pendaftaran program", queue_h: "Antrean",
    queue_intro: "Semua orang masuk sesuai urutan. Tidak perlu memuat ulang halaman.",
    join: "Masuk antrean", ahead: "Orang di depan Anda", wait: "Perkiraan waktu tunggu",
    form_h: "Formulir pendaftaran", nik: "NIK (16 digit)",
    kk_number: "Nomor Kartu Keluarga (16 digit)", full_name: "Nama lengkap",
    birth_date: "Tanggal lahir", email: "Email", phone: "Nomor HP (08…)",
    employment_status: "Status pekerjaan", laid_off: "Terkena PHK", furloughed: "Dirumahkan",
    micro_business_lost_income: "Usaha mikro kehilangan pendapatan", job_seeker: "Pencari kerja",
    employed: "Bekerja", in_education: "Saya sedang sekolah atau kuliah",
    submit: "Kirim pendaftaran", receipt_h: "Tanda terima",
    receipt_intro: "Pendaftaran Anda sudah diterima dan menunggu diperiksa. Simpan nomor ini:",
    status_h: "Cek status pendaftaran", reg_id: "Nomor pendaftaran", check: "Cek status",
    privacy: "Data Anda hanya dikirim ke layanan pendaftaran ini.",
    drawing: "Anda sudah di antrean. Urutan diundi saat pendaftaran dibuka.",
    waiting: "Anda di antrean. Halaman ini diperbarui sendiri.",
    admitted: "Giliran Anda! Silakan isi formulir.", used: "Tiket ini sudah dipakai.",
    expired: "Waktu Anda habis. Masuk antrean lagi untuk mendapat tempat baru.",
    until: "Kirim sebelum", seconds: "detik", minutes: "menit", about: "sekitar",
    between: "antara", and: "dan", unknown: "belum diketahui",
    busy: "Layanan sedang sibuk; mencoba lagi sebentar lagi.",
    fix: "Periksa isian yang ditandai.", not_open: "Antrean belum dibuka.",
    challenge: "Tempat antrean belum bisa disiapkan. Coba masuk antrean lagi.",
    not_your_turn: "Belum giliran Anda. Biarkan halaman ini terbuka.",
    permission_expired: "Waktu kirim Anda habis. Masuk antrean lagi untuk mendapat tempat baru.",
    ticket_used: "Tiket ini sudah dipakai untuk pendaftaran lain.",
    ticket_invalid: "Tiket antrean tidak berlaku. Masuk antrean lagi.",
    status_of: "Status", queued: "menunggu pemeriksaan", verifying: "sedang diperiksa",
    verified: "lolos pemeriksaan", rejected: "ditolak", selected: "terpilih",
    waitlisted: "daftar tunggu", scored: "sudah dinilai", not_found: "Nomor tidak ditemukan.",
    working: "Menyiapkan tempat Anda di antrean…",
    no_crypto: "Browser ini tidak bisa menyiapkan tempat antrean. Coba browser lain.",
  },
  en: {
    title: "Programme registration", queue_h: "Queue",
    queue_intro: "Everyone gets in in order. There is no need to reload the page.",
    join: "Join the queue", ahead: "People ahead of you", wait: "Estimated wait",
    form_h: "Registration form", nik: "NIK (16 digits)",
    kk_number: "Family card number (16 digits)", full_name: "Full name",
    birth_date: "Date of birth", email: "Email", phone: "Mobile number (08…)",
    employment_status: "Employment status", laid_off: "Laid off", furloughed: "Furloughed",
    micro_business_lost_income: "Micro business lost income", job_seeker: "Job seeker",
    employed: "Employed", in_education: "I am in school or university",
    submit: "Submit registration", receipt_h: "Receipt",
    receipt_intro: "Your registration has been received and waits to be checked. Keep this number:",
    status_h: "Check a registration's status", reg_id: "Registration number", check: "Check status",
    privacy: "Your data is sent only to this registration service.",
    drawing: "You are in the queue. The order is drawn when registration opens.",
    waiting: "You are in the queue. This page updates itself.",
    admitted: "It is your turn! Please fill in the form.", used: "This ticket has been used.",
    expired: "Your time ran out. Join the queue again for a new place.",
    until: "Submit before", seconds: "seconds", minutes: "minutes", about: "about",
    between: "between", and: "and", unknown: "not known yet",
    busy: "The service is busy; trying again shortly.",
    fix: "Please check the marked fields.", not_open: "The queue has not opened yet.",
    challenge: "Your place in the queue could not be prepared. Please join again.",
    not_your_turn: "It is not your turn yet. Keep this page open.",
    permission_expired: "Your time to submit has run out. Join the queue again for a new place.",
    ticket_used: "This ticket was used for another registration.",
    ticket_invalid: "This queue ticket is not valid. Please join again.",
    status_of: "Status", queued: "waiting to be checked", verifying: "being checked",
    verified: "passed the checks", rejected: "rejected", selected: "selected",
    waitlisted: "waitlisted", scored: "scored", not_found: "Number not found.",
    working: "Preparing your place in the queue…",
    no_crypto: "This browser cannot prepare a place in the queue. Please try another browser.",
  },
};

const $ = (id) => document.getElementById(id);
let lang = localStorage.getItem("lang") || "id";
let wave = null;
let guarded = false;
let ticket = null;
let last = null;
let timer = null;

function t(key) { return T[lang][key] || T.en[key] || key; }

function setLang(next) {
  lang = next;
  localStorage.setItem("lang", lang);
  document.documentElement.lang = lang;
  document.title = t("title");
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  $("lang-id").setAttribute("aria-pressed", String(lang === "id"));
  $("lang-en").setAttribute("aria-pressed", String(lang === "en"));
  if (last) showTicket(last);
}

// The page's own words for the refusals it can meet (the API's problem
// titles are English); anything else is "busy, trying again".
const PROBLEMS = {
  "challenge-required": "challenge", "challenge-invalid": "challenge",
  "challenge-expired": "challenge", "challenge-failed": "challenge",
  "not-your-turn": "not_your_turn", "permission-expired": "permission_expired",
  "ticket-used": "ticket_used", "ticket-required": "ticket_invalid",
  "invalid-ticket": "ticket_invalid",
};
function problemText(r) {
  const type = r.data && typeof r.data.type === "string" ? r.data.type : "";
  return t(PROBLEMS[type.slice(type.lastIndexOf("/") + 1)] || "busy");
}

function notice(text) {
  $("notice").textContent = text || "";
  $("notice").hidden = !text;
}

function duration(secs) {
  if (secs < 90) return secs + " " + t("seconds");
  return Math.round(secs / 60) + " " + t("minutes");
}

function showTicket(s) {
  last = s;
  $("ticket").hidden = false;
  $("join").hidden = true;
  $("ticket-state").textContent = t(s.state);
  $("ahead").textContent = s.ahead === undefined ? "–" : s.ahead.toLocaleString(lang);
  const w = s.estimated_wait;
  $("wait").textContent = !w ? (s.state === "waiting" ? t("unknown") : "–")
    : t("about") + " " + duration(w.seconds) + " (" + t("between") + " "
      + duration(w.low_seconds) + " " + t("and") + " " + duration(w.high_seconds) + ")";
  if (s.state === "admitted") {
    $("register").hidden = false;
    $("deadline").textContent = t("until") + " "
      + new Date(s.admitted_until).toLocaleTimeString(lang);
  }
  if (s.state === "expired") {
    localStorage.removeItem(key());
    $("join").hidden = false;
    $("register").hidden = true;
  }
}

function key() { return "ticket-" + wave; }

async function api(method, path, body, extra) {
  // The API writes field errors in the language asked for: the page's.
  const headers = Object.assign({ accept: "application/json", "accept-language": lang }, extra || {});
  if (body) headers["content-type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  let data = null;
  try { data = await res.json(); } catch (_) { data = null; }
  return { status: res.status, data, retry: Number(res.headers.get("retry-after")) || 5 };
}

async function poll() {
  clearTimeout(timer);
  if (!ticket) return;
  const r = await api("GET", "/v1/waves/" + wave + "/queue/" + ticket);
  let next = r.retry;
  if (r.status === 200) {
    notice("");
    showTicket(r.data);
    if (r.data.state === "used" || r.data.state === "expired") return;
    if (r.data.state === "admitted") next = Math.max(next, 30);
  } else if (r.status === 404) {
    localStorage.removeItem(key());
    ticket = null;
    $("join").hidden = false;
    return;
  } else {
    notice(t("busy"));
  }
  timer = setTimeout(poll, next * 1000);
}

// The answer to the wave's challenge, if joining needs one (404: it does
// not); null when it cannot be had.
async function answerChallenge() {
  const c = await api("POST", "/v1/waves/" + wave + "/challenge");
  if (c.status === 404) return {};
  if (c.status !== 200 || !c.data) { notice(t("busy")); return null; }
  if (c.data.algorithm !== "sha256-leading-zero-bits" || !window.crypto || !crypto.subtle) {
    notice(t("no_crypto"));
    return null;
  }
  $("working").hidden = false;
  try {
    const s = await solveChallenge(c.data.challenge, c.data.difficulty_bits);
    return { "waitroom-challenge": c.data.challenge, "waitroom-solution": s.nonce };
  } finally {
    $("working").hidden = true;
  }
}

async function join() {
  $("join").disabled = true;
  const answer = await answerChallenge();
  if (!answer) { $("join").disabled = false; return; }
  const r = await api("POST", "/v1/waves/" + wave + "/queue", null, answer);
  $("join").disabled = false;
  if (r.status === 200 || r.status === 201) {
    ticket = r.data.ticket;
    localStorage.setItem(key(), ticket);
    showTicket(r.data);
    timer = setTimeout(poll, r.data.poll_after_seconds * 1000);
  } else if (r.status === 409) {
    notice(t("not_open"));
  } else if (r.status === 403) {
    notice(problemText(r));
  } else {
    notice(t("busy"));
  }
}

function clearErrors() {
  document.querySelectorAll(".err").forEach((el) => { el.textContent = ""; });
  document.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
}

async function submit(ev) {
  ev.preventDefault();
  clearErrors();
  const f = ev.target;
  const body = {
    nik: f.nik.value.trim(), kk_number: f.kk_number.value.trim(),
    full_name: f.full_name.value.trim(), birth_date: f.birth_date.value,
    email: f.email.value.trim(), phone: f.phone.value.trim(),
    employment_status: f.employment_status.value, in_education: f.in_education.checked,
    wave: wave,
    // The page's language is the one the applicant is written to in.
    language: lang,
  };
  $("submit").disabled = true;
  const r = await api("POST", "/v1/registrations", body,
    guarded && ticket ? { "waitroom-ticket": ticket } : {});
  $("submit").disabled = false;
  if (r.status === 202) {
    notice("");
    localStorage.setItem("registration-" + wave, r.data.registration_id);
    // Lets a status check count only who is still ahead of this receipt.
    if (typeof r.data.queue_mark === "number") {
      localStorage.setItem("queue-mark-" + r.data.registration_id, String(r.data.queue_mark));
    }
    $("register").hidden = true;
    $("queue").hidden = true;
    $("receipt-id").textContent = r.data.registration_id;
    $("reg-id").value = r.data.registration_id;
    $("receipt").hidden = false;
    $("receipt").focus();
    return;
  }
  if (r.status === 422 && r.data && r.data.errors) {
    let first = null;
    // Errors without a place on the form (a wave not open) go in the notice.
    const loose = [];
    for (const e of r.data.errors) {
      const input = $(e.field);
      const err = $(e.field + "-err");
      if (err) err.textContent = e.message; else loose.push(e.message);
      if (input) { input.setAttribute("aria-invalid", "true"); first = first || input; }
    }
    notice((first ? [t("fix")] : []).concat(loose).join(" ") || t("fix"));
    if (first) first.focus();
    return;
  }
  notice(problemText(r));
}

async function checkStatus(ev) {
  ev.preventDefault();
  const id = $("reg-id").value.trim();
  if (!id) return;
  const mark = localStorage.getItem("queue-mark-" + id);
  const r = await api("GET", "/v1/registrations/" + encodeURIComponent(id)
    + (mark ? "?queue_mark=" + encodeURIComponent(mark) : ""));
  const wait = r.status === 200 && r.data.status === "queued"
    && r.data.estimated_wait_seconds !== undefined
    ? "; " + t("wait").toLowerCase() + ": " + t("about") + " "
      + duration(r.data.estimated_wait_seconds)
    : "";
  $("status-out").textContent = r.status === 200
    ? t("status_of") + ": " + t(r.data.status) + wait
    : r.status === 404 ? t("not_found") : t("busy");
}

async function start() {
  $("lang-id").addEventListener("click", () => setLang("id"));
  $("lang-en").addEventListener("click", () => setLang("en"));
  $("join").addEventListener("click", join);
  $("form").addEventListener("submit", submit);
  $("status-form").addEventListener("submit", checkStatus);
  setLang(lang);
  const cfg = await api("GET", "/v1/waitroom");
  const asked = Number(new URLSearchParams(location.search).get("wave"));
  wave = asked > 0 ? asked : (cfg.data ? cfg.data.default_wave : 1);
  guarded = !!(cfg.data && cfg.data.waves.includes(wave));
  const saved = localStorage.getItem("registration-" + wave);
  if (saved) $("reg-id").value = saved;
  if (!guarded) { $("register").hidden = false; return; }
  $("queue").hidden = false;
  ticket = localStorage.getItem(key());
  if (ticket) poll();
}

document.addEventListener("DOMContentLoaded", start);
