"""A stand-in for the provincial one-stop system's adapter, to test the hand-off against (`sohoa province-sim`).

It is a real HTTP server on loopback that answers the calls as real clients see them (domain.md,
"Hand-off"): a login gives a session that expires; `DongBoHoSoMC` checks every field's format and
the status transitions, answers "đã tồn tại" to a second insert and "không tồn tại" to an update of
a dossier it lacks, downloads every file link and records its SHA-256 (refusing a link whose bytes
do not match the `#sha256=` the sender put on it), and applies a call's dossiers all or none;
`CapNhatTienDoHoSoMC` records processing steps; `TraCuuHoSo` answers what it holds. It keeps
everything in its own SQLite file, so a test can ask afterwards what arrived, in what order, and
whether anything changed its state twice.

Faults are injected by setting (`Faults`), per service call: HTTP 500, a time-out (the call is
applied, then the answer comes too late: the nastiest case for a sender), a slow answer, an expired
session, a wrong `error_code`. `down` is the server not running at all (`stop`).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import urllib3

from province.client import Credentials

FAULT_KINDS = ("http500", "timeout", "slow", "session", "error_code")
CODE = re.compile(r"^[0-9A-Za-z.\-_]{1,64}$")
DATE = re.compile(r"^\d{14}$")
# Allowed status changes on an update (a status may also stay as it is).
TRANSITIONS: dict[int, set[int]] = {
    1: {2, 3}, 2: {4, 5, 6, 7, 8, 9}, 3: set(), 4: {5, 6, 7, 8, 9}, 5: {4, 7, 8, 9}, 6: {4, 9},
    7: set(), 8: set(), 9: {10}, 10: set(),
}
SCHEMA = """
CREATE TABLE IF NOT EXISTS dossier (mahoso TEXT PRIMARY KEY, madonvi TEXT, status INTEGER, record TEXT,
                                    inserted_at REAL, updated_at REAL);
CREATE TABLE IF NOT EXISTS change (id INTEGER PRIMARY KEY, mahoso TEXT, service TEXT, status INTEGER, at REAL);
CREATE TABLE IF NOT EXISTS call (id INTEGER PRIMARY KEY, service TEXT, outcome TEXT, message TEXT, items INTEGER,
                                 at REAL);
CREATE TABLE IF NOT EXISTS file (mahoso TEXT, file_id TEXT, sha256 TEXT, size INTEGER, at REAL,
                                 PRIMARY KEY (mahoso, file_id, sha256));
CREATE TABLE IF NOT EXISTS progress (mahoso TEXT, at TEXT, content TEXT, status INTEGER, actor TEXT,
                                     PRIMARY KEY (mahoso, at, content));
"""


@dataclass
class Faults:
    """What goes wrong, and how often: `rate` of service calls get one of `kinds`, at random."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    timeout_seconds: float = 3.0
    slow_seconds: float = 0.3
    seed: int | None = None


@dataclass
class SimConfig:
    db: Path
    credentials: Credentials
    madonvi: str | None = None  # None accepts any unit code
    session_ttl: float = 1800.0
    faults: Faults = field(default_factory=Faults)
    auth_path: str = "/dvcqg/login"
    service_path: str = "/dvcqg/service"
    token_path: str = "/oauth2/token"
    fetch_timeout: float = 10.0


class Invalid(Exception):
    """A call the adapter refuses: its message is what the sender's dead letter will show."""


def _date(record: dict[str, Any], name: str, *, required: bool) -> datetime | None:
    value = record.get(name, "")
    if value in ("", None):
        if required:
            raise Invalid(f"Hồ sơ {record.get('MaHoSo')}: thiếu {name}")
        return None
    if not isinstance(value, str) or not DATE.match(value):
        raise Invalid(f"Hồ sơ {record.get('MaHoSo')}: {name} '{value}' sai định dạng yyyyMMddHHmmss")
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError as error:
        raise Invalid(f"Hồ sơ {record.get('MaHoSo')}: {name} '{value}' không phải ngày hợp lệ") from error


def _int(record: dict[str, Any], name: str, allowed: range | set[int]) -> int:
    value = record.get(name)
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = -1
    if number not in allowed:
        raise Invalid(f"Hồ sơ {record.get('MaHoSo')}: {name} '{value}' không hợp lệ")
    return number


def _text(record: dict[str, Any], name: str, limit: int, *, required: bool = True) -> str:
    value = record.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise Invalid(f"Hồ sơ {record.get('MaHoSo')}: {name} trống hoặc dài quá {limit} ký tự")
    return value


def _url(record: dict[str, Any], item: dict[str, Any], name: str) -> str:
    value = item.get(name, "")
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise Invalid(f"Hồ sơ {record.get('MaHoSo')}: {name} phải là đường dẫn tải tệp (http/https)")
    return value


def check_record(record: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Every field's format; returns the files to fetch as (file id, url, key in the record)."""
    if not isinstance(record, dict):
        raise Invalid("data phải là danh sách hồ sơ")
    for name in ("MaHoSo", "MaTTHC"):
        if not isinstance(record.get(name), str) or not CODE.match(record[name]):
            raise Invalid(f"Hồ sơ {record.get('MaHoSo')}: {name} '{record.get(name)}' không hợp lệ")
    _text(record, "TenTTHC", 500)
    _text(record, "ChuHoSo", 255)
    _text(record, "TrichYeuHoSo", 1000, required=False)
    _int(record, "KenhThucHien", {1, 2, 3})
    _int(record, "LoaiDoiTuong", {1, 2, 3, 4})
    status = _int(record, "TrangThaiHoSo", range(1, 11))
    received = _date(record, "NgayTiepNhan", required=True)
    due = _date(record, "NgayHenTra", required=False)
    if due is not None and received is not None and due < received:
        raise Invalid(f"Hồ sơ {record['MaHoSo']}: NgayHenTra trước NgayTiepNhan")
    _date(record, "NgayKetThucXuLy", required=status >= 9)
    _date(record, "NgayTra", required=status == 10)
    digitized = _int(record, "HoSoCoThanhPhanSoHoa", {0, 1})
    files: list[tuple[str, str, str]] = []
    components = record.get("TaiLieuNop") or []
    if not isinstance(components, list):
        raise Invalid(f"Hồ sơ {record['MaHoSo']}: TaiLieuNop phải là danh sách")
    for item in components:
        _text(item | {"MaHoSo": record["MaHoSo"]}, "TepDinhKemId", 64)
        _text(item | {"MaHoSo": record["MaHoSo"]}, "TenTepDinhKem", 255)
        for name, allowed in (("DuocSoHoa", {0, 1}), ("DuocTaiSuDung", {0, 1, 2}), ("DuocLayTuKhoDMQG", {0, 1})):
            _int(item | {"MaHoSo": record["MaHoSo"]}, name, allowed)
        files.append((item["TepDinhKemId"], _url(record, item, "DuongDanTaiTepTin"), "DuongDanTaiTepTin"))
    if digitized == 1 and not any(int(i.get("DuocSoHoa", 0)) == 1 for i in components):
        raise Invalid(f"Hồ sơ {record['MaHoSo']}: HoSoCoThanhPhanSoHoa = 1 nhưng không có tệp được số hóa")
    results = record.get("DanhSachGiayToKetQua") or []
    if not isinstance(results, list):
        raise Invalid(f"Hồ sơ {record['MaHoSo']}: DanhSachGiayToKetQua phải là danh sách")
    for item in results:
        _text(item | {"MaHoSo": record["MaHoSo"]}, "TenGiayTo", 500)
        _text(item | {"MaHoSo": record["MaHoSo"]}, "GiayToId", 64)
        files.append((item["GiayToId"], _url(record, item, "DuongDanTepTinKetQua"), "DuongDanTepTinKetQua"))
    return files


class ProvinceSim:
    """The stand-in server: `start()` on loopback, `url`, `stop()`; answers from its SQLite file."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.random = random.Random(config.faults.seed)
        self.db = sqlite3.connect(str(config.db), check_same_thread=False, isolation_level=None)
        self.db.executescript(SCHEMA)
        self.db_lock = threading.Lock()
        self.sessions: dict[str, float] = {}
        self.tokens: dict[str, float] = {}
        self.http = urllib3.PoolManager(maxsize=16, retries=False, timeout=config.fetch_timeout)
        self.fetchers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sim-fetch")
        self.server: ThreadingHTTPServer | None = None
        self.port = 0

    # --- running ---
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK stalls

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read the SQLite
                return

            def do_POST(self) -> None:
                sim._handle(self)

            def do_GET(self) -> None:
                sim._handle(self)

        self.server = ThreadingHTTPServer((host, port or self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True, name="province-sim").start()
        return self.url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """The province goes down: the port stops answering (start again on the same port)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def expire_sessions(self) -> None:
        self.sessions.clear()
        self.tokens.clear()

    # --- what arrived (for tests and the benchmark) ---
    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self.db_lock:
            return list(self.db.execute(sql, args))

    def statuses(self) -> dict[str, list[int]]:
        """Per dossier, the status after each call that changed its state, in order."""
        history: dict[str, list[int]] = {}
        for mahoso, status in self.query("SELECT mahoso, status FROM change ORDER BY id"):
            history.setdefault(mahoso, []).append(status)
        return history

    def record(self, mahoso: str) -> dict[str, Any] | None:
        rows = self.query("SELECT record FROM dossier WHERE mahoso = ?", mahoso)
        return json.loads(rows[0][0]) if rows else None

    # --- HTTP ---
    def _reply(self, handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any] | str) -> None:
        data = (json.dumps(body, ensure_ascii=False) if isinstance(body, dict) else body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=utf-8" if isinstance(body, dict)
                                else "text/plain; charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:  # the sender gave up waiting (an injected time-out)
            pass

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = urlsplit(handler.path).path
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if path == "/_sim/faults" and handler.command == "POST":
            self.config.faults = Faults(**{**asdict(self.config.faults), **json.loads(raw or b"{}")})
            self.random = random.Random(self.config.faults.seed)
            return self._reply(handler, 200, {"error_code": 0, "faults": asdict(self.config.faults)})
        if path == "/_sim/expire" and handler.command == "POST":
            self.expire_sessions()
            return self._reply(handler, 200, {"error_code": 0})
        if handler.command != "POST":
            return self._reply(handler, 405, {"error_code": 405, "message": "POST only"})
        if path == self.config.token_path:
            return self._reply(handler, *self._token(handler, raw))
        try:
            body = json.loads(raw.decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError
        except (UnicodeDecodeError, ValueError):
            return self._reply(handler, 200, {"error_code": 400, "message": "Dữ liệu không phải JSON"})
        if path == self.config.auth_path:
            return self._reply(handler, 200, self._login(body))
        if path != self.config.service_path:
            return self._reply(handler, 404, {"error_code": 404, "message": "Không có dịch vụ"})
        self._service(handler, body)

    def _login(self, body: dict[str, Any]) -> dict[str, Any]:
        creds = self.config.credentials
        if body.get("username") != creds.username or body.get("password") != creds.password:
            return {"error_code": 1, "message": "Sai tên đăng nhập hoặc mật khẩu"}
        session = secrets.token_hex(16)
        self.sessions[session] = time.time() + self.config.session_ttl
        return {"error_code": 0, "session": session, "message": "Đăng nhập thành công"}

    def _token(self, handler: BaseHTTPRequestHandler, raw: bytes) -> tuple[int, dict[str, Any]]:
        import base64

        creds = self.config.credentials
        auth = handler.headers.get("Authorization", "")
        expected = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
        form = parse_qs(raw.decode("utf-8", "replace"))
        if auth != f"Basic {expected}" or form.get("grant_type") != ["client_credentials"]:
            return 401, {"error": "invalid_client"}
        token = secrets.token_hex(16)
        self.tokens[token] = time.time() + self.config.session_ttl
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": int(self.config.session_ttl)}

    def _authorized(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> bool:
        now = time.time()
        bearer = handler.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if bearer:
            lgsp = self.config.credentials.lgsp_access_token
            return self.tokens.get(bearer, 0) > now and (not lgsp or handler.headers.get("lgspaccesstoken") == lgsp)
        return self.sessions.get(str(body.get("session")), 0) > now

    def _service(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        service = str(body.get("service", ""))
        if not self._authorized(handler, body):
            self._log(service, "session_expired", "", 0)
            return self._reply(handler, 401, {"error_code": 401, "message": "Phiên làm việc đã hết hạn"})
        if self.config.madonvi and body.get("madonvi") != self.config.madonvi:
            return self._reply(handler, 200, {"error_code": 3, "message": f"madonvi '{body.get('madonvi')}' "
                                              "không được phép"})
        faults = self.config.faults
        fault = self.random.choice(faults.kinds) if faults.kinds and self.random.random() < faults.rate else None
        if fault == "http500":
            self._log(service, "fault:http500", "", 0)
            return self._reply(handler, 500, "Internal Server Error")
        if fault == "error_code":
            self._log(service, "fault:error_code", "", 0)
            return self._reply(handler, 200, {"error_code": 99, "message": "Hệ thống đang bận, vui lòng thử lại"})
        if fault == "session":
            self.sessions.pop(str(body.get("session")), None)
            self.tokens.clear()
            self._log(service, "fault:session", "", 0)
            return self._reply(handler, 401, {"error_code": 401, "message": "Phiên làm việc đã hết hạn"})
        if fault == "slow":
            time.sleep(faults.slow_seconds)
        handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "DongBoHoSoMC": self._sync, "CapNhatTienDoHoSoMC": self._progress, "TraCuuHoSo": self._lookup}
        if service not in handlers:
            return self._reply(handler, 200, {"error_code": 404, "message": f"Dịch vụ '{service}' không có"})
        try:
            answer = handlers[service](body)
        except Invalid as invalid:
            self._log(service, "refused", str(invalid), len(body.get("data") or []))
            answer = {"error_code": -1, "message": str(invalid)}
        if fault == "timeout":
            time.sleep(faults.timeout_seconds)
        self._reply(handler, 200, answer)

    def _log(self, service: str, outcome: str, message: str, items: int) -> None:
        with self.db_lock:
            self.db.execute("INSERT INTO call (service, outcome, message, items, at) VALUES (?, ?, ?, ?, ?)",
                            (service, outcome, message, items, time.time()))

    # --- services ---
    def _fetch(self, url: str) -> tuple[str, int]:
        expected = urlsplit(url).fragment.removeprefix("sha256=")
        try:
            response = self.http.request("GET", url.split("#", 1)[0], preload_content=True)
        except urllib3.exceptions.HTTPError as error:
            raise Invalid(f"Không tải được tệp {url.split('#', 1)[0]}: {type(error).__name__}") from error
        if response.status != 200:
            raise Invalid(f"Không tải được tệp {url.split('#', 1)[0]}: HTTP {response.status}")
        sha = hashlib.sha256(response.data).hexdigest()
        if expected and sha != expected:
            raise Invalid(f"Tệp {url.split('#', 1)[0]} sai mã SHA-256 ({sha[:12]}… thay vì {expected[:12]}…)")
        return sha, len(response.data)

    def _sync(self, body: dict[str, Any]) -> dict[str, Any]:
        updating = str(body.get("isUpdating", "")).lower()
        if updating not in ("true", "false"):
            raise Invalid("isUpdating phải là 'True' hoặc 'False'")
        records = body.get("data")
        if not isinstance(records, list) or not records:
            raise Invalid("data phải là danh sách hồ sơ, không rỗng")
        wanted = [check_record(r) for r in records]
        codes = [r["MaHoSo"] for r in records]
        if len(set(codes)) != len(codes):
            raise Invalid("Một hồ sơ xuất hiện hai lần trong cùng lần gửi")
        existing = {code: (status, record) for code, status, record in self.query(
            f"SELECT mahoso, status, record FROM dossier WHERE mahoso IN ({','.join('?' * len(codes))})", *codes)}
        for record in records:
            code, status = record["MaHoSo"], int(record["TrangThaiHoSo"])
            if updating == "false" and code in existing:
                raise Invalid(f"Hồ sơ {code} đã tồn tại")
            if updating == "true":
                if code not in existing:
                    raise Invalid(f"Hồ sơ {code} không tồn tại")
                was = existing[code][0]
                if status != was and status not in TRANSITIONS.get(was, set()):
                    raise Invalid(f"Hồ sơ {code}: không chuyển được trạng thái từ {was} sang {status}")
        fetched = list(self.fetchers.map(lambda item: self._fetch(item[1]), [f for files in wanted for f in files]))
        shas = iter(fetched)
        now = time.time()
        changed = 0
        with self.db_lock:
            self.db.execute("BEGIN")
            for record, files in zip(records, wanted, strict=True):
                normal = json.loads(json.dumps(record))
                digests = {}
                for file_id, _url, _key in files:
                    sha, size = next(shas)
                    digests[file_id] = sha
                    self.db.execute("INSERT OR IGNORE INTO file VALUES (?, ?, ?, ?, ?)",
                                    (record["MaHoSo"], file_id, sha, size, now))
                for item in normal.get("TaiLieuNop") or []:
                    item["DuongDanTaiTepTin"] = "sha256:" + digests[item["TepDinhKemId"]]
                for item in normal.get("DanhSachGiayToKetQua") or []:
                    item["DuongDanTepTinKetQua"] = "sha256:" + digests[item["GiayToId"]]
                text = json.dumps(normal, ensure_ascii=False, sort_keys=True)
                code, status = record["MaHoSo"], int(record["TrangThaiHoSo"])
                if code in existing and existing[code][1] == text:
                    continue  # the same dossier again: nothing changes
                self.db.execute("INSERT INTO dossier VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(mahoso) DO UPDATE SET "
                                "status = excluded.status, record = excluded.record, updated_at = excluded.updated_at",
                                (code, body.get("madonvi"), status, text, now, now))
                self.db.execute("INSERT INTO change (mahoso, service, status, at) VALUES (?, ?, ?, ?)",
                                (code, "insert" if updating == "false" else "update", status, now))
                changed += 1
            self.db.execute("INSERT INTO call (service, outcome, message, items, at) VALUES (?, ?, ?, ?, ?)",
                            ("DongBoHoSoMC", "ok", f"{changed} changed", len(records), now))
            self.db.execute("COMMIT")
        return {"error_code": 0, "message": "Đồng bộ thành công"}

    def _progress(self, body: dict[str, Any]) -> dict[str, Any]:
        steps = body.get("data")
        if not isinstance(steps, list) or not steps:
            raise Invalid("data phải là danh sách bước xử lý, không rỗng")
        rows = []
        for step in steps:
            if not isinstance(step, dict) or not self.query("SELECT 1 FROM dossier WHERE mahoso = ?",
                                                            str(step.get("MaHoSo"))):
                raise Invalid(f"Hồ sơ {step.get('MaHoSo') if isinstance(step, dict) else step} không tồn tại")
            _text(step, "NguoiXuLy", 50)
            _text(step, "NoiDungXuLy", 2000)
            _date(step, "ThoiDiemXuLy", required=True)
            status = _int(step, "TrangThai", range(1, 11))
            rows.append((step["MaHoSo"], step["ThoiDiemXuLy"], step["NoiDungXuLy"], status, step["NguoiXuLy"]))
        with self.db_lock:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR IGNORE INTO progress VALUES (?, ?, ?, ?, ?)", rows)
            self.db.execute("INSERT INTO call (service, outcome, message, items, at) VALUES (?, ?, ?, ?, ?)",
                            ("CapNhatTienDoHoSoMC", "ok", "", len(rows), time.time()))
            self.db.execute("COMMIT")
        return {"error_code": 0, "message": "Cập nhật thành công"}

    def _lookup(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self.record(str(body.get("mahoso", "")))
        if record is None:
            raise Invalid(f"Hồ sơ {body.get('mahoso')} không tồn tại")
        return {"error_code": 0, "data": record}

    def close(self) -> None:
        self.stop()
        self.fetchers.shutdown(wait=False, cancel_futures=True)
        self.db.close()
