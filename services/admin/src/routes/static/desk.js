"use strict";
// The agents' console: talks to this admin API only (the page's CSP allows
// no other origin). Answers are written with textContent, never as HTML.
(function () {
  const $ = (id) => document.getElementById(id);
  const KEY = "lonjak-desk-token";
  let found = [];

  function el(tag, text) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function table(head, rows) {
    const wrap = el("div");
    wrap.className = "table-wrap";
    const t = el("table");
    const tr = el("tr");
    head.forEach((h) => { const th = el("th", h); th.scope = "col"; tr.appendChild(th); });
    t.appendChild(el("thead")).appendChild(tr);
    const body = t.appendChild(el("tbody"));
    rows.forEach((r) => {
      const row = el("tr");
      r.forEach((c) => row.appendChild(el("td", c === null || c === undefined ? "" : c)));
      body.appendChild(row);
    });
    wrap.appendChild(t);
    return wrap;
  }

  function token() { return sessionStorage.getItem(KEY) || ""; }

  function showToken() {
    $("token-state").textContent = token() ? "A token is set for this tab." : "No token set.";
  }

  function clearProblem() { $("problem").hidden = true; $("problem").textContent = ""; $("done").textContent = ""; }

  function showProblem(status, problem) {
    const box = $("problem");
    box.textContent = "";
    box.appendChild(el("strong", (problem && problem.title) || ("Error " + status)));
    if (problem && problem.detail) box.appendChild(el("p", problem.detail));
    const list = el("ul");
    ((problem && problem.errors) || []).forEach((e) => list.appendChild(el("li", e.field + ": " + e.message)));
    if (list.childNodes.length) box.appendChild(list);
    box.hidden = false;
    box.focus();
  }

  async function call(path, body) {
    clearProblem();
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token() },
        body: JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (e) {
      showProblem(0, { title: "The admin API did not answer", detail: String(e) });
      return null;
    }
    let json = null;
    try { json = await response.json(); } catch (e) { json = null; }
    if (!response.ok) {
      const retry = response.headers.get("Retry-After");
      if (json && retry) json.detail = (json.detail || "") + " (retry in " + retry + " s)";
      showProblem(response.status, json);
      return null;
    }
    return json;
  }

  function render(answer) {
    found = answer.registrations;
    const list = $("registrations");
    list.textContent = "";
    if (!found.length) list.appendChild(el("p", "No registration found."));
    found.forEach((r) => {
      const box = el("article");
      box.className = "registration";
      box.appendChild(el("h3", "Wave " + r.wave + ": " + r.status_words));
      const facts = [["Registration", r.registration_id], ["Submitted", r.submitted_at],
        ["Wave state", r.wave_state], ["Why", r.reason_words],
        ["Email verified", r.email_verified ? "yes" : "no"],
        ["Re-join", r.rejoin ? r.rejoin.words : "not applicable"]];
      if (r.personal) {
        const p = r.personal;
        facts.push(["Name", p.full_name], ["Email", p.email], ["Phone", p.phone],
          ["Birth date", p.birth_date], ["NIK", p.nik], ["KK", p.kk_number]);
      }
      box.appendChild(table(["Fact", "Value"], facts.filter((f) => f[1] !== null && f[1] !== undefined)));
      box.appendChild(el("h4", "History"));
      box.appendChild(table(["When", "What happened"], r.history.map((h) => [h.at, h.words])));
      box.appendChild(el("h4", "Registry checks"));
      box.appendChild(table(["Registry", "Verdict", "Checked"], r.verifications.map((v) => [v.registry, v.words, v.checked_at])));
      box.appendChild(el("h4", "Notifications"));
      box.appendChild(table(["Event", "Channel", "Delivery", "Attempts", "Sent"],
        r.notifications.map((n) => [n.event, n.channel, n.words, n.attempts, n.sent_at])));
      box.appendChild(el("h4", "Photos"));
      box.appendChild(table(["Kind", "State", "Reason", "Checked"], r.photos.map((p) => [p.kind, p.state, p.reason, p.checked_at])));
      list.appendChild(box);
    });
    $("results").hidden = false;
    const select = $("act-registration");
    select.textContent = "";
    found.forEach((r) => {
      const o = el("option", "Wave " + r.wave + " (" + r.registration_id + ")");
      o.value = r.registration_id;
      select.appendChild(o);
    });
    $("actions").hidden = !found.length;
    fillNotifications();
  }

  function fillNotifications() {
    const r = found.find((x) => x.registration_id === $("act-registration").value);
    const notes = r ? r.notifications : [];
    [["act-event", "event"], ["act-channel", "channel"]].forEach(([id, field]) => {
      const select = $(id);
      select.textContent = "";
      [...new Set(notes.map((n) => n[field]))].forEach((v) => {
        const o = el("option", v);
        o.value = v;
        select.appendChild(o);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    showToken();
    $("problem").tabIndex = -1;
    $("token-form").addEventListener("submit", (e) => {
      e.preventDefault();
      sessionStorage.setItem(KEY, $("token").value.trim());
      $("token").value = "";
      showToken();
    });
    $("token-forget").addEventListener("click", () => { sessionStorage.removeItem(KEY); showToken(); });
    $("lookup").addEventListener("submit", async (e) => {
      e.preventDefault();
      const form = e.target;
      const kind = form.querySelector("input[name=kind]:checked").value;
      const body = { reason: form.elements.reason.value };
      body[kind] = form.elements.value.value;
      const answer = await call("/v1/support/lookup", body);
      if (answer) {
        form.elements.value.value = "";
        render(answer);
        $("results-title").focus();
      }
    });
    $("results-title").tabIndex = -1;
    $("act-registration").addEventListener("change", fillNotifications);
    $("act").addEventListener("submit", async (e) => {
      e.preventDefault();
      const form = e.target;
      const action = form.querySelector("input[name=action]:checked").value;
      const body = { reason: form.elements.reason.value };
      if (action === "notifications/resend") {
        body.event = form.elements.event.value;
        body.channel = form.elements.channel.value;
      }
      const id = encodeURIComponent(form.elements.registration_id.value);
      const answer = await call("/v1/support/registrations/" + id + "/" + action, body);
      if (answer) {
        $("done").textContent = answer.status !== undefined
          ? "Done: " + answer.action + " (" + answer.status + "; " + answer.left_today + " left today)."
          : "Done: replay request " + answer.id + " filed.";
      }
    });
  });
})();
