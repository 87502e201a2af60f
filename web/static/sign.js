// The Ký số page (web/templates/sign.html): select results, sign them with the token on this PC
// through sohoa-agent (one PIN for the batch), or seal them with the agency's key on the server.
//
//   1. the agent gives the certificate (SohoaAgent, /sign/sohoa-agent.js);
//   2. POST /api/v1/signing/prepare: the server prepares each document, returns the digests;
//   3. the agent signs them all after one PIN typed in its own window;
//   4. POST /api/v1/signing/finish (a few documents a request, so each row's bar moves as its
//      document is verified): one outcome per document, in the page's language.
// Messages come translated from the template's data-msg-* attributes; nothing here is inline.
(function () {
  "use strict";

  const root = document.getElementById("signing");
  if (!root) return;
  const vi = document.documentElement.lang === "vi";
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const URL_KEY = "sohoa-agent-url";
  const CHUNK = 5;
  const $ = (id) => document.getElementById(id);
  const msg = (name, values = {}) => (root.dataset["msg" + name] || name).replace(/\{(\w+)\}/g, (_, k) => values[k]);
  const urlField = $("agent-url");
  let certificates = [];

  if (localStorage.getItem(URL_KEY)) urlField.value = localStorage.getItem(URL_KEY);
  urlField.addEventListener("change", () => localStorage.setItem(URL_KEY, urlField.value.trim()));
  const agent = () => new SohoaAgent(urlField.value.trim() || "http://127.0.0.1:8471");

  function say(element, text, kind) {
    element.textContent = text;
    element.className = kind || "notice";
  }

  function agentMessage(err) {
    return vi ? err.messageVi || err.message : err.message;
  }

  async function loadCertificates() {
    const status = $("agent-status");
    if (!agent().paired) {
      $("agent-help").open = true;  // the steps to pair, shown until this browser is paired
      say(status, msg("NotPaired"), "warn");
      return [];
    }
    try {
      certificates = await agent().certificates();
    } catch (err) {
      say(status, agentMessage(err), "error");
      return [];
    }
    const select = $("certificate");
    select.replaceChildren(...certificates.map((c) => new Option(`${c.label} (${c.token})`, c.fingerprint)));
    $("certificate-field").hidden = certificates.length < 2;
    say(status, certificates.length ? msg("Ready", { n: certificates.length }) : msg("NoCertificate"),
      certificates.length ? "ok" : "warn");
    return certificates;
  }

  $("pair-button").addEventListener("click", async () => {
    const status = $("agent-status");
    try {
      await agent().pair($("pairing-code").value.trim());
      say(status, msg("Paired"), "ok");
      await loadCertificates();
    } catch (err) {
      say(status, agentMessage(err), "error");
    }
  });
  $("check-button").addEventListener("click", loadCertificates);

  const picks = () => Array.from(document.querySelectorAll("input.pick"));
  const selectAll = $("select-all");
  if (selectAll) {
    selectAll.addEventListener("change", () => picks().forEach((p) => { p.checked = selectAll.checked; }));
    document.addEventListener("change", (e) => {
      if (e.target.classList && e.target.classList.contains("pick")) {
        selectAll.checked = picks().every((p) => p.checked);
      }
    });
  }

  function row(task) {
    const tr = document.querySelector(`tr[data-task="${task}"]`);
    return { bar: tr.querySelector("progress"), outcome: tr.querySelector(".outcome"), tr };
  }

  function progress(tasks, value, text) {
    tasks.forEach((t) => {
      const r = row(t);
      r.bar.value = value;
      r.outcome.textContent = text;
      r.outcome.className = "outcome";
    });
  }

  function outcome(o) {
    const r = row(o.task);
    r.bar.value = 100;
    r.outcome.textContent = vi ? o.detail_vi : o.detail;
    r.outcome.className = "outcome " + (o.ok ? "done" : "failed");
    if (o.ok) r.tr.querySelector("input.pick").disabled = true;
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((vi ? answer.message_vi : answer.message) || response.statusText);
    return answer;
  }

  function chosen() {
    return picks().filter((p) => p.checked && !p.disabled).map((p) => Number(p.value));
  }

  function busy(on) {
    document.querySelectorAll("#sign-button, #seal-button").forEach((b) => { b.disabled = on; });
  }

  function fail(tasks, text) {
    tasks.forEach((t) => {
      const r = row(t);
      r.bar.value = 0;
      r.outcome.textContent = `${msg("Failed")}: ${text}`;
      r.outcome.className = "outcome failed";
    });
  }

  async function finishInChunks(path, items, bodyOf) {
    const batchStatus = $("batch-status");
    let ok = 0;
    for (let i = 0; i < items.length; i += CHUNK) {
      const part = items.slice(i, i + CHUNK);
      const answer = await post(path, bodyOf(part));
      answer.outcomes.forEach((o) => { outcome(o); if (o.ok) ok += 1; });
    }
    say(batchStatus, msg("Done", { ok, n: items.length }), ok === items.length ? "ok" : "warn");
  }

  async function sign() {
    const tasks = chosen();
    const batchStatus = $("batch-status");
    if (!tasks.length) return say(batchStatus, msg("None"), "warn");
    busy(true);
    try {
      say(batchStatus, msg("Agent"));
      const certs = certificates.length ? certificates : await loadCertificates();
      const cert = certs.find((c) => c.fingerprint === $("certificate").value) || certs[0];
      if (!cert) return say(batchStatus, msg("NoCertificate"), "error");
      progress(tasks, 20, msg("Preparing"));
      let prepared;
      try {
        const title = ($("sign-title") || {}).value || null;
        prepared = (await post("/api/v1/signing/prepare",
          { tasks, certificate: cert.certificate, chain: cert.chain, title })).preparations;
      } catch (err) {
        fail(tasks, err.message);
        return say(batchStatus, err.message, "error");
      }
      progress(tasks, 45, msg("OnToken"));
      say(batchStatus, msg("Pin"), "warn");
      let signatures;
      try {
        signatures = await agent().sign(cert.fingerprint, prepared);
      } catch (err) {
        fail(tasks, agentMessage(err));
        return say(batchStatus, agentMessage(err), "error");
      }
      const byId = new Map(prepared.map((p) => [p.id, p]));
      const returned = signatures.map((s) => ({ preparation: s.id, signature: s.signature, task: byId.get(s.id).task }));
      progress(returned.map((r) => r.task), 75, msg("Finishing"));
      await finishInChunks("/api/v1/signing/finish", returned, (part) => ({ signatures: part }));
    } catch (err) {
      say(batchStatus, err.message, "error");
    } finally {
      busy(false);
    }
  }

  async function seal() {
    const tasks = chosen();
    const batchStatus = $("batch-status");
    if (!tasks.length) return say(batchStatus, msg("None"), "warn");
    busy(true);
    try {
      progress(tasks, 50, msg("Sealing"));
      await finishInChunks("/api/v1/signing/seal", tasks, (part) => ({ tasks: part }));
    } catch (err) {
      fail(chosen(), err.message);
      say(batchStatus, err.message, "error");
    } finally {
      busy(false);
    }
  }

  if ($("sign-button")) $("sign-button").addEventListener("click", sign);
  if ($("seal-button")) $("seal-button").addEventListener("click", seal);
  if ($("sign-button")) loadCertificates();
})();
