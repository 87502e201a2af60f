"""The client of the provincial adapter: a session (or an LGSP OAuth2 token), calls, answers.

What a caller needs to tell apart, and why:
- `Unreachable`: no answer worth reading (connection refused, a time-out, HTTP 5xx). The portal
  may or may not have applied the call; the caller tries later, and since every payload is a whole
  snapshot, applying it twice changes nothing.
- `Refused`: the adapter answered with an `error_code` other than 0 and a message ("đã tồn tại",
  a field it rejects). The caller decides per message.
- An expired session is neither: the client logs in again and repeats the call once, so a
  session lapsing mid-run costs one login, not a failed batch.
Credentials are held in memory only and never appear in messages or logs.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import urllib3

OK_CODES = {"0", "00"}
SESSION_EXPIRED_CODES = {"401", "-401"}
EXISTS_MARKERS = ("đã tồn tại", "already exists")
MISSING_MARKERS = ("không tồn tại", "does not exist")


class Unreachable(Exception):
    """The adapter gave no usable answer: try again later."""


class Refused(Exception):
    """The adapter answered with an error code and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"error_code {code}: {message}")
        self.code, self.message = code, message

    @property
    def already_exists(self) -> bool:
        return any(marker in self.message.lower() for marker in EXISTS_MARKERS)

    @property
    def missing(self) -> bool:
        return any(marker in self.message.lower() for marker in MISSING_MARKERS)


@dataclass(frozen=True)
class Credentials:
    """Read from a file (never from the command line or logs): `key=value` lines."""

    username: str = ""
    password: str = field(default="", repr=False)
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    lgsp_access_token: str = field(default="", repr=False)

    @classmethod
    def parse(cls, text: str) -> Credentials:
        values: dict[str, str] = {}
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, _, value = line.partition("=")
            values[key.strip().lower()] = value.strip()
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class AdapterConfig:
    base_url: str
    madonvi: str
    credentials: Credentials
    auth_path: str = "/dvcqg/login"
    service_path: str = "/dvcqg/service"
    auth: str = "session"  # or "lgsp": OAuth2 client credentials at token_path
    token_path: str = "/oauth2/token"
    timeout: float = 30.0


def is_ok(answer: dict[str, Any]) -> bool:
    return str(answer.get("error_code", "")).strip() in OK_CODES


class ProvinceClient:
    """Thread-safe; one per worker. `requests` counts every HTTP request made (logins included)."""

    def __init__(self, config: AdapterConfig) -> None:
        self.config = config
        self.http = urllib3.PoolManager(maxsize=8, retries=False,
                                        timeout=urllib3.Timeout(connect=min(5.0, config.timeout),
                                                                read=config.timeout))
        self._lock = threading.Lock()
        self._session: str | None = None
        self._token: tuple[str, float] | None = None
        self.requests = 0
        self.logins = 0

    # --- transport ---
    def _post(self, path: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
              form: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        url = self.config.base_url.rstrip("/") + path
        all_headers = dict(headers or {})
        if form is not None:
            data = urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body, ensure_ascii=False).encode()
            all_headers["Content-Type"] = "application/json; charset=utf-8"
        with self._lock:
            self.requests += 1
        try:
            response = self.http.request("POST", url, body=data, headers=all_headers)
        except urllib3.exceptions.HTTPError as error:
            raise Unreachable(f"{type(error).__name__} reaching {path}") from error
        if response.status >= 500:
            raise Unreachable(f"HTTP {response.status} from {path}")
        try:
            answer = json.loads(response.data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise Unreachable(f"HTTP {response.status} from {path}: not JSON") from error
        if not isinstance(answer, dict):
            raise Unreachable(f"HTTP {response.status} from {path}: not a JSON object")
        return response.status, answer

    # --- authentication ---
    def _login(self) -> str:
        creds = self.config.credentials
        _status, answer = self._post(self.config.auth_path, {"username": creds.username, "password": creds.password})
        self.logins += 1
        if not is_ok(answer) or not answer.get("session"):
            raise Refused(str(answer.get("error_code", "")), str(answer.get("message") or "login refused"))
        return str(answer["session"])

    def _lgsp_token(self) -> str:
        if self._token and self._token[1] > time.time() + 30:
            return self._token[0]
        creds = self.config.credentials
        basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
        status, answer = self._post(self.config.token_path, form={"grant_type": "client_credentials"},
                                    headers={"Authorization": f"Basic {basic}"})
        if status != 200 or not answer.get("access_token"):
            raise Refused(str(status), str(answer.get("error_description") or answer.get("error") or "token refused"))
        self.logins += 1
        self._token = (str(answer["access_token"]), time.time() + float(answer.get("expires_in", 300)))
        return self._token[0]

    def _authorized(self, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        if self.config.auth == "lgsp":
            return body, {"Authorization": f"Bearer {self._lgsp_token()}",
                          "lgspaccesstoken": self.config.credentials.lgsp_access_token}
        if self._session is None:
            self._session = self._login()
        return {"session": self._session, **body}, {}

    def _forget_auth(self) -> None:
        self._session, self._token = None, None

    # --- calls ---
    def call(self, service: str, payload: dict[str, Any]) -> dict[str, Any]:
        """One service call; re-logs in once when the session (or token) has expired."""
        body = {"madonvi": self.config.madonvi, "service": service, **payload}
        for attempt in (1, 2):
            full, headers = self._authorized(body)
            status, answer = self._post(self.config.service_path, full, headers)
            expired = status == 401 or str(answer.get("error_code", "")).strip() in SESSION_EXPIRED_CODES
            if expired and attempt == 1:
                self._forget_auth()
                continue
            if not is_ok(answer):
                raise Refused(str(answer.get("error_code", "")), str(answer.get("message") or "no message"))
            return answer
        raise Unreachable("the session expired again right after a new login")

    def sync(self, records: Sequence[dict[str, Any]], *, updating: bool) -> dict[str, Any]:
        """`DongBoHoSoMC`: insert (`updating=False`) or update dossiers, all of them or none."""
        return self.call("DongBoHoSoMC", {"isUpdating": "True" if updating else "False", "data": list(records)})

    def progress(self, steps: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """`CapNhatTienDoHoSoMC`: processing steps of dossiers the portal has."""
        return self.call("CapNhatTienDoHoSoMC", {"data": list(steps)})

    def lookup(self, mahoso: str) -> dict[str, Any] | None:
        """`TraCuuHoSo`: the portal's record of a dossier, or None when it has none."""
        try:
            answer = self.call("TraCuuHoSo", {"mahoso": mahoso})
        except Refused as refused:
            if refused.missing:
                return None
            raise
        data = answer.get("data")
        return data if isinstance(data, dict) else None
