"""The agent's HTTP server on 127.0.0.1: four JSON endpoints, each behind the origin check.

Standard library only (`http.server`): the API is four small JSON endpoints for one user on one
machine, so a web framework would add an install on every official's PC and nothing the checks
need. Every request must come from the paired site's origin (browsers set `Origin` and pages
cannot forge it) with a `Host` of the loopback address (a DNS-rebinding page names its own host);
everything but status and pairing also needs the pairing key. Refusals from another origin carry
no CORS header, so a foreign page cannot even read why it was refused.

    GET  /v1/status        -> {"agent", "protocol", "paired", "site", "wrong_pins"}
    POST /v1/pair          {"code"} -> {"key"}               (while unpaired: the code shown here)
    GET  /v1/certificates  -> {"certificates": [TokenCertificate...]}
    POST /v1/sign          {"certificate": fingerprint, "items": [DigestToSign...]}
                           -> {"signatures": [DigestSignature...]}   (one PIN prompt per call)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from asn1crypto import x509

from agent import pairing
from agent.pairing import Pairing, PairingOffer
from agent.pin import PinPrompt, PinRequest
from agent.token import PinRefused, TokenProblem, Tokens, check_signed_attributes, sign_all
from signing.remote import PAIRING_HEADER, PROTOCOL, AgentError, DigestToSign

MAX_BODY = 8 << 20
MAX_ITEMS = 1000
MAX_WRONG_PINS = 2
"""Wrong PINs in a row after which the agent stops asking until restarted: tokens lock after 3-5."""


class Refusal(Exception):
    """An answer other than 200: HTTP status, error code, and the message in English and Vietnamese."""

    def __init__(self, status: HTTPStatus, code: AgentError, en: str, vi: str, **extra: Any) -> None:
        super().__init__(en)
        self.status, self.code, self.en, self.vi, self.extra = status, code, en, vi, extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code.value, "message": self.en, "message_vi": self.vi, **self.extra}


@dataclass
class Agent:
    """The agent's state: its tokens, its prompt, its pairing and its count of wrong PINs."""

    tokens: Tokens
    prompt: PinPrompt
    folder: Path
    site: str | None = None
    say: Callable[[str], None] = print
    max_wrong_pins: int = MAX_WRONG_PINS
    wrong_pins: int = 0
    pairing: Pairing | None = None  # (the field's name hides the module inside the class body)
    offer: PairingOffer | None = None
    _batch: threading.Lock = field(default_factory=threading.Lock)
    _state: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.pairing = pairing.load(self.folder)
        if self.pairing is None and self.site is not None:
            self.offer = PairingOffer(pairing.origin_of(self.site))
            self._announce_code()

    def _announce_code(self) -> None:
        assert self.offer is not None
        self.say(f"Mã ghép nối / Pairing code: {self.offer.code}  (nhập vào trang ký số của "
                 f"{self.offer.origin} / type it into the signing page of {self.offer.origin})")

    @property
    def origin(self) -> str | None:
        """The one origin answered: the paired site's, or the site offered for pairing."""
        if self.pairing is not None:
            return self.pairing.origin
        return self.offer.origin if self.offer is not None else None

    def status(self) -> dict[str, Any]:
        return {"agent": "sohoa-agent", "protocol": PROTOCOL, "paired": self.pairing is not None,
                "site": self.origin, "wrong_pins": self.wrong_pins}

    def pair(self, origin: str | None, body: dict[str, Any]) -> dict[str, Any]:
        with self._state:
            if self.offer is None:
                raise Refusal(HTTPStatus.CONFLICT, AgentError.pairing_refused, "this agent is already paired",
                              "Chương trình ký đã được ghép nối")
            code = body.get("code")
            taken = self.offer.take(origin, code) if isinstance(code, str) else None
            if taken is None:
                if self.offer.attempts == pairing.CODE_ATTEMPTS:
                    self._announce_code()
                raise Refusal(HTTPStatus.FORBIDDEN, AgentError.pairing_refused, "wrong pairing code",
                              "Mã ghép nối không đúng")
            self.pairing, key = taken
            pairing.save(self.folder, self.pairing)
            self.offer = None
        self.say(f"Đã ghép nối với / Paired with {self.pairing.origin}")
        return {"key": key}

    def _check_paired(self, origin: str | None, key: str | None) -> None:
        if self.pairing is None:
            raise Refusal(HTTPStatus.FORBIDDEN, AgentError.not_paired,
                          "this agent is not paired with the site: type the pairing code shown by the agent",
                          "Chương trình ký chưa được ghép nối: nhập mã ghép nối hiện trong cửa sổ chương trình ký")
        if not self.pairing.accepts(origin, key):
            raise Refusal(HTTPStatus.FORBIDDEN, AgentError.not_paired, "wrong or missing pairing key",
                          "Khóa ghép nối sai hoặc thiếu")

    def certificates(self, origin: str | None, key: str | None) -> dict[str, Any]:
        self._check_paired(origin, key)
        try:
            return {"certificates": [c.to_wire() for c in self.tokens.certificates()]}
        except TokenProblem as exc:
            raise _token_refusal(exc) from exc

    def sign(self, origin: str | None, key: str | None, body: dict[str, Any]) -> dict[str, Any]:
        self._check_paired(origin, key)
        fingerprint, items = _parse_sign(body)
        if not self._batch.acquire(blocking=False):
            raise Refusal(HTTPStatus.CONFLICT, AgentError.busy, "another batch is being signed",
                          "Đang ký một lô khác")
        try:
            return self._sign(fingerprint, items)
        finally:
            self._batch.release()

    def _sign(self, fingerprint: str, items: list[DigestToSign]) -> dict[str, Any]:
        if self.wrong_pins >= self.max_wrong_pins:
            raise Refusal(HTTPStatus.LOCKED, AgentError.pin_locked,
                          f"{self.wrong_pins} wrong PINs in a row: check the PIN, then restart sohoa-agent",
                          f"Đã nhập sai PIN {self.wrong_pins} lần liên tiếp: kiểm tra lại PIN rồi khởi động lại "
                          "chương trình ký", wrong_pins=self.wrong_pins)
        try:
            cert = self.tokens.find(fingerprint)
            state = self.tokens.pin_state(cert.token)
        except TokenProblem as exc:
            raise _token_refusal(exc) from exc
        if state.locked:
            raise Refusal(HTTPStatus.LOCKED, AgentError.pin_locked, f"token {cert.token} is locked",
                          f"Token {cert.token} đã bị khóa", wrong_pins=self.wrong_pins)
        signer = x509.Certificate.load(cert.der).subject.native.get("common_name", cert.label)
        pin = self.prompt.ask(PinRequest(site=self.origin or "", token=cert.token, signer=signer,
                                         documents=len(items), wrong_pins=self.wrong_pins,
                                         final_try=state.final_try, count_low=state.count_low))
        if pin is None:
            raise Refusal(HTTPStatus.FORBIDDEN, AgentError.pin_cancelled, "the official declined to type the PIN",
                          "Người ký đã từ chối nhập PIN")
        try:
            with self.tokens.logged_in(cert.token, pin) as session:
                del pin
                signatures = sign_all(session, cert, items)
        except PinRefused as exc:
            self.wrong_pins += 1
            self.say(f"PIN sai ({self.wrong_pins} lần) / wrong PIN ({self.wrong_pins}); lô ký dừng / batch stopped")
            raise Refusal(HTTPStatus.FORBIDDEN, AgentError.pin_locked if exc.locked else AgentError.wrong_pin,
                          f"{exc}: nothing was signed; {self.wrong_pins} wrong PIN(s) in a row",
                          f"Token từ chối mã PIN: chưa ký văn bản nào; đã sai {self.wrong_pins} lần liên tiếp",
                          wrong_pins=self.wrong_pins) from exc
        except TokenProblem as exc:
            raise _token_refusal(exc) from exc
        self.wrong_pins = 0
        self.say(f"Đã ký {len(signatures)} văn bản / signed {len(signatures)} document(s) for {self.origin}")
        return {"signatures": [s.to_wire() for s in signatures]}


def _parse_sign(body: dict[str, Any]) -> tuple[str, list[DigestToSign]]:
    fingerprint, raw_items = body.get("certificate"), body.get("items")
    if not isinstance(fingerprint, str) or not isinstance(raw_items, list) or not 0 < len(raw_items) <= MAX_ITEMS:
        raise Refusal(HTTPStatus.BAD_REQUEST, AgentError.bad_request,
                      f"expected a certificate fingerprint and 1 to {MAX_ITEMS} items",
                      f"Cần dấu vân tay chứng thư và từ 1 đến {MAX_ITEMS} mục cần ký")
    try:
        items = [DigestToSign.from_wire(raw) for raw in raw_items]
        for item in items:
            if item.data is not None:
                check_signed_attributes(item.data, item.digest)
    except ValueError as exc:
        raise Refusal(HTTPStatus.BAD_REQUEST, AgentError.bad_request, str(exc),
                      f"Yêu cầu ký không hợp lệ: {exc}") from exc
    if len({i.id for i in items}) != len(items):
        raise Refusal(HTTPStatus.BAD_REQUEST, AgentError.bad_request, "item ids repeat", "Mã mục cần ký bị trùng")
    return fingerprint, items


def _token_refusal(exc: TokenProblem) -> Refusal:
    return Refusal(HTTPStatus.SERVICE_UNAVAILABLE, AgentError.token_not_found, str(exc),
                   f"Không dùng được token: {exc}")


class AgentServer(ThreadingHTTPServer):
    """Bound to 127.0.0.1 only; `port` 0 picks a free port (printed at start)."""

    daemon_threads = True

    def __init__(self, agent: Agent, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.agent = agent

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def allowed_hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}


class _Handler(BaseHTTPRequestHandler):
    server: AgentServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the terminal shows what was signed, requests carry nothing worth a log line."""

    def _origin(self) -> str | None:
        return self.headers.get("Origin")

    def _allowed(self) -> bool:
        origin = self._origin()
        return origin is not None and origin == self.server.agent.origin

    def _check(self) -> None:
        if self.headers.get("Host") not in self.server.allowed_hosts():
            raise Refusal(HTTPStatus.FORBIDDEN, AgentError.host_refused, "requests must name 127.0.0.1 as host",
                          "Yêu cầu phải gửi tới 127.0.0.1")
        if not self._allowed():
            raise Refusal(HTTPStatus.FORBIDDEN, AgentError.origin_refused,
                          f"origin {self._origin()!r} is not the site this agent serves",
                          f"Trang {self._origin()!r} không phải trang được phép dùng chương trình ký")

    def _send(self, status: HTTPStatus, body: dict[str, Any] | None, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        self.send_response(status)
        if self._allowed():
            self.send_header("Access-Control-Allow-Origin", str(self._origin()))
            self.send_header("Vary", "Origin")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise Refusal(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, AgentError.bad_request, "request too large",
                          "Yêu cầu quá lớn")
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError as exc:
            raise Refusal(HTTPStatus.BAD_REQUEST, AgentError.bad_request, "the body is not JSON",
                          "Nội dung không phải JSON") from exc
        if not isinstance(body, dict):
            raise Refusal(HTTPStatus.BAD_REQUEST, AgentError.bad_request, "the body must be a JSON object",
                          "Nội dung phải là một đối tượng JSON")
        return body

    def _answer(self, work: Callable[[], dict[str, Any]]) -> None:
        try:
            self._check()
            self._send(HTTPStatus.OK, work())
        except Refusal as refusal:
            self.close_connection = True  # an unread body must not be taken for the next request
            self._send(refusal.status, refusal.body())
        except Exception as exc:  # the agent keeps serving; the page gets an answer, the terminal the type
            self.close_connection = True
            self.server.agent.say(f"lỗi / error: {type(exc).__name__}")
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, Refusal(
                HTTPStatus.INTERNAL_SERVER_ERROR, AgentError.token_failed, f"the agent failed: {type(exc).__name__}",
                f"Chương trình ký gặp lỗi: {type(exc).__name__}").body())

    def do_OPTIONS(self) -> None:
        """CORS preflight, with Chrome's Private/Local Network Access opt-in for the paired site."""
        try:
            self._check()
        except Refusal as refusal:
            self.close_connection = True
            self._send(refusal.status, refusal.body())
            return
        headers = {"Access-Control-Allow-Methods": "GET, POST",
                   "Access-Control-Allow-Headers": f"Content-Type, {PAIRING_HEADER}",
                   "Access-Control-Max-Age": "600"}
        if self.headers.get("Access-Control-Request-Private-Network") == "true":
            headers["Access-Control-Allow-Private-Network"] = "true"
        self._send(HTTPStatus.NO_CONTENT, None, headers)

    def do_GET(self) -> None:
        agent = self.server.agent
        key = self.headers.get(PAIRING_HEADER)
        routes: dict[str, Callable[[], dict[str, Any]]] = {
            "/v1/status": agent.status,
            "/v1/certificates": lambda: agent.certificates(self._origin(), key),
        }
        self._answer(routes.get(self.path, self._not_found))

    def do_POST(self) -> None:
        agent = self.server.agent
        key = self.headers.get(PAIRING_HEADER)
        routes: dict[str, Callable[[], dict[str, Any]]] = {
            "/v1/pair": lambda: agent.pair(self._origin(), self._body()),
            "/v1/sign": lambda: agent.sign(self._origin(), key, self._body()),
        }
        self._answer(routes.get(self.path, self._not_found))

    def _not_found(self) -> dict[str, Any]:
        raise Refusal(HTTPStatus.NOT_FOUND, AgentError.not_found, f"no endpoint {self.path}",
                      f"Không có địa chỉ {self.path}")
