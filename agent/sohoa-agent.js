// The signing page's side of sohoa-agent's protocol (agent/server.py): plain script, no build step.
//
//   const agent = new SohoaAgent();                  // http://127.0.0.1:8471 by default
//   await agent.status();                            // {agent, protocol, paired, site, wrong_pins}
//   await agent.pair(code);                          // the code shown in the agent's window; key kept
//   const [cert] = await agent.certificates();       // {fingerprint, token, label, certificate, chain}
//   const signatures = await agent.sign(cert.fingerprint, items);  // items: the server's preparations
//
// The PIN is typed in the agent's own prompt, never here. Refusals throw SohoaAgentError with the
// agent's error code, its English and Vietnamese messages and, for a wrong PIN, the count so far.
(function (global) {
  "use strict";

  const KEY = "sohoa-agent-key";

  class SohoaAgentError extends Error {
    constructor(code, message, messageVi, wrongPins) {
      super(message);
      this.name = "SohoaAgentError";
      this.code = code;
      this.messageVi = messageVi;
      this.wrongPins = wrongPins;
    }
  }

  class SohoaAgent {
    constructor(url = "http://127.0.0.1:8471", storage = global.localStorage) {
      this.url = url.replace(/\/$/, "");
      this.storage = storage;
    }

    get paired() {
      return Boolean(this.storage.getItem(KEY));
    }

    async call(method, path, body) {
      const headers = {};
      const key = this.storage.getItem(KEY);
      if (key) headers["X-Sohoa-Pairing"] = key;
      if (body !== undefined) headers["Content-Type"] = "application/json";
      let response;
      try {
        response = await fetch(this.url + path, {
          method, headers, body: body === undefined ? undefined : JSON.stringify(body),
          cache: "no-store",
        });
      } catch (err) {
        throw new SohoaAgentError("unreachable",
          "sohoa-agent does not answer: is it running, and did the browser allow access to this device?",
          "Không kết nối được chương trình ký: chương trình đã chạy chưa, trình duyệt đã cho phép truy cập chưa?");
      }
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        throw new SohoaAgentError(answer.error || "http_" + response.status, answer.message || response.statusText,
          answer.message_vi || answer.message || response.statusText, answer.wrong_pins);
      }
      return answer;
    }

    status() { return this.call("GET", "/v1/status"); }

    async pair(code) {
      const answer = await this.call("POST", "/v1/pair", { code });
      this.storage.setItem(KEY, answer.key);
      return answer.key;
    }

    forget() { this.storage.removeItem(KEY); }

    async certificates() {
      return (await this.call("GET", "/v1/certificates")).certificates;
    }

    async sign(fingerprint, items) {
      const wire = items.map(({ id, algorithm, digest, data }) => ({ id, algorithm, digest, data }));
      return (await this.call("POST", "/v1/sign", { certificate: fingerprint, items: wire })).signatures;
    }
  }

  global.SohoaAgent = SohoaAgent;
  global.SohoaAgentError = SohoaAgentError;
})(window);
