"""`sohoa-agent sign-inbox --site URL`: sign the Ký số page's batch without a browser.

For a PC where the browser cannot reach the agent (a policy blocks loopback access, an old
browser), the official signs from a terminal instead, through the same JSON routes the page uses:
sign in to the site with one's own name and password (the session and its CSRF token, as the
page has them), list the inbox (`GET /api/v1/signing/inbox`), have the server prepare the batch
for the certificate on the token (`POST /api/v1/signing/prepare`), sign every digest on the token
after one PIN (the same prompt and the same "one wrong PIN stops the batch" rule as `run`), and
send the signatures back (`POST /api/v1/signing/finish`), which verifies each before it counts.

Standard library HTTP (`urllib`) and the agent's own token code: nothing more to install.
"""

from __future__ import annotations

import base64
import getpass
import http.cookiejar
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from asn1crypto import x509

from agent.pin import FdPinPrompt, PinPrompt, PinRequest, TerminalPinPrompt
from agent.token import PinRefused, TokenProblem, Tokens, check_signed_attributes, sign_all
from signing.remote import DigestSignature, DigestToSign, TokenCertificate


class SiteError(Exception):
    """The site refused or could not be reached; the message in English and Vietnamese."""

    def __init__(self, en: str, vi: str, code: str = "error") -> None:
        super().__init__(en)
        self.en, self.vi, self.code = en, vi, code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the sign-in's 303 is read, not followed


class Site:
    """The sohoa site, signed in as one person: a cookie jar, the session's CSRF token, JSON calls."""

    def __init__(self, url: str, timeout: float = 600.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.csrf = ""
        self._open = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect).open

    def _request(self, method: str, path: str, data: bytes | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        try:
            with self._open(request, timeout=self.timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            raise SiteError(f"the site {self.url} does not answer: {exc}",
                            f"Không kết nối được trang {self.url}: {exc}", "unreachable") from exc

    def login(self, username: str, password: str) -> None:
        status, page = self._request("GET", "/login")
        form = re.search(rb'name="csrf" value="([^"]+)"', page)
        if status != 200 or form is None:
            raise SiteError(f"{self.url} has no sohoa sign-in page (HTTP {status})",
                            f"{self.url} không có trang đăng nhập sohoa (HTTP {status})", "not_sohoa")
        body = urllib.parse.urlencode({"username": username, "password": password, "next": "/sign",
                                       "csrf": form.group(1).decode()}).encode()
        status, _ = self._request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        if status == 429:
            raise SiteError("too many sign-in attempts from this computer: wait a few minutes",
                            "Đăng nhập sai quá nhiều lần từ máy này: đợi vài phút", "too_many")
        if status != 303:
            raise SiteError("wrong name or password, or the account is locked or disabled",
                            "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đang bị khóa", "login_refused")
        status, page = self._request("GET", "/sign")
        meta = re.search(rb'<meta name="csrf-token" content="([^"]+)"', page)
        if status != 200 or meta is None:
            raise SiteError("this account may not sign (the Ký số page is for officials and clerks)",
                            "Tài khoản này không được ký số (trang Ký số dành cho lãnh đạo và văn thư)", "forbidden")
        self.csrf = meta.group(1).decode()

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Accept": "application/json", "X-CSRF-Token": self.csrf}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        status, raw = self._request(method, path, data, headers)
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = {}
        if status != 200:
            detail = answer if isinstance(answer, dict) else {}
            raise SiteError(str(detail.get("message") or f"HTTP {status}"),
                            str(detail.get("message_vi") or detail.get("message") or f"HTTP {status}"),
                            str(detail.get("code") or status))
        return answer


def choose(certificates: Sequence[TokenCertificate], wanted: str | None) -> TokenCertificate:
    """The certificate to sign with: the one whose fingerprint starts with `wanted`, or the only one."""
    found = [c for c in certificates if wanted is None or c.fingerprint.startswith(wanted.lower())]
    if len(found) == 1:
        return found[0]
    listing = "; ".join(f"{c.label} ({c.token}) {c.fingerprint[:16]}" for c in certificates) or "none"
    raise SiteError(f"choose the certificate with --certificate FINGERPRINT: {listing}",
                    f"Chọn chứng thư số bằng --certificate <dấu vân tay>: {listing}", "certificate")


def sign_on_token(tokens: Tokens, cert: TokenCertificate, items: Sequence[DigestToSign], prompt: PinPrompt,
                  site: str) -> list[DigestSignature]:
    """Every item signed after one PIN; a wrong PIN stops the batch (never a second try)."""
    state = tokens.pin_state(cert.token)
    if state.locked:
        raise SiteError(f"token {cert.token} is locked", f"Token {cert.token} đã bị khóa", "pin_locked")
    signer = x509.Certificate.load(cert.der).subject.native.get("common_name", cert.label)
    pin = prompt.ask(PinRequest(site=site, token=cert.token, signer=signer, documents=len(items), wrong_pins=0,
                                final_try=state.final_try, count_low=state.count_low))
    if pin is None:
        raise SiteError("no PIN typed: nothing was signed", "Chưa nhập PIN: chưa ký văn bản nào", "pin_cancelled")
    try:
        with tokens.logged_in(cert.token, pin) as session:
            del pin
            return sign_all(session, cert, items)
    except PinRefused as exc:
        raise SiteError(f"{exc}: nothing was signed", "Token từ chối mã PIN: chưa ký văn bản nào",
                        "pin_locked" if exc.locked else "wrong_pin") from exc


def _read_password(fd: int | None) -> str:
    if fd is None:
        return getpass.getpass("Mật khẩu / Password: ")
    with os.fdopen(fd, "r", encoding="utf-8", closefd=True) as stream:
        return stream.readline().rstrip("\r\n")


def _items(preparations: Sequence[dict[str, Any]]) -> list[DigestToSign]:
    """The server's preparations as the agent's items, each checked to be CMS signed attributes."""
    items = [DigestToSign.from_wire(p) for p in preparations]
    for item in items:
        if item.data is None:
            raise ValueError(f"item {item.id}: the site sent no signed attributes")
        check_signed_attributes(item.data, item.digest)
    return items


def sign_inbox(url: str, username: str, password: str, tokens: Tokens, prompt: PinPrompt, *,
               certificate: str | None = None, tasks: Sequence[int] = (), title: str | None = None,
               say: Any = print) -> list[dict[str, Any]]:
    """Sign every task waiting for `username` (or only `tasks`); the server's outcome for each."""
    site = Site(url)
    site.login(username, password)
    waiting = site.call("GET", "/api/v1/signing/inbox")
    chosen = [w for w in waiting if not tasks or w["task"] in tasks]
    if not chosen:
        return []
    for w in chosen:
        say(f"  {w['code'] or w['dossier_id']}  {w['procedure_name'] or w['procedure'] or ''}  "
            f"(bước / step {w['step']}, {w['role']})")
    cert = choose(tokens.certificates(), certificate)
    body = {"tasks": [w["task"] for w in chosen], "certificate": base64.b64encode(cert.der).decode(),
            "chain": [base64.b64encode(c).decode() for c in cert.chain], "title": title}
    prepared = site.call("POST", "/api/v1/signing/prepare", body)["preparations"]
    try:
        items = _items(prepared)
    except ValueError as exc:
        raise SiteError(f"the site asked to sign something else than a document: {exc}",
                        f"Trang yêu cầu ký thứ không phải văn bản: {exc}", "bad_request") from exc
    signatures = sign_on_token(tokens, cert, items, prompt, site.url)
    task_of = {p["id"]: p["task"] for p in prepared}
    returned = [{"preparation": s.id, "signature": base64.b64encode(s.signature).decode(), "task": task_of[s.id]}
                for s in signatures]
    code_of = {w["task"]: w["code"] for w in chosen}
    outcomes = site.call("POST", "/api/v1/signing/finish", {"signatures": returned})["outcomes"]
    return [{**o, "code": code_of.get(o["task"])} for o in outcomes]


def run(args: Any) -> None:
    """The `sign-inbox` command: print each outcome (or JSON lines); exit 1 unless all were signed."""
    username = args.user or getpass.getuser()
    prompt: PinPrompt = FdPinPrompt(args.pin_fd) if args.pin_fd is not None else TerminalPinPrompt()
    quiet = args.json
    try:
        tokens = Tokens(Path(args.module), args.token)
        password = _read_password(args.password_fd)
        outcomes = sign_inbox(args.site, username, password, tokens, prompt, certificate=args.certificate,
                              tasks=args.tasks or (), title=args.title,
                              say=(lambda _line: None) if quiet else print)
    except SiteError as exc:
        _refused(exc.code, exc.en, exc.vi, quiet)
    except TokenProblem as exc:
        _refused("token", str(exc), f"Không dùng được token: {exc}", quiet)
    if not outcomes and not quiet:
        print("Không có văn bản nào chờ bạn ký / nothing is waiting for your signature")
    for o in outcomes:
        if quiet:
            print(json.dumps(o, ensure_ascii=False), flush=True)
        else:
            mark = "✓" if o["ok"] else "✗"
            print(f"{mark} {o['code'] or o['task']}: {o['detail_vi']}\n    {o['detail']}", flush=True)
    if not all(o["ok"] for o in outcomes):
        raise SystemExit(1)


def _refused(code: str, en: str, vi: str, as_json: bool) -> NoReturn:
    if as_json:
        print(json.dumps({"ok": False, "error": code, "message": en, "message_vi": vi}, ensure_ascii=False))
    else:
        print(f"{vi}\n{en}", file=sys.stderr)
    raise SystemExit(2)
