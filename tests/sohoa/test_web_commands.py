"""`sohoa users`, `sohoa tokens` and `sohoa audit` as an admin runs them (real processes, real SQLite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from settings import Settings
from storage.register import Register

pytestmark = pytest.mark.slow  # a dozen `sohoa` processes


def sohoa(*args: str, stdin: str | None = None, pass_fd: str | None = None) -> subprocess.CompletedProcess[str]:
    fds: tuple[int, ...] = ()
    if pass_fd is not None:
        read, write = os.pipe()
        os.write(write, pass_fd.encode())
        os.close(write)
        os.set_inheritable(read, True)
        args = (*args, "--password-fd", str(read))
        fds = (read,)
    try:
        return subprocess.run([sys.executable, "-m", "sohoa", *args], capture_output=True, text=True, timeout=120,
                              input=stdin, pass_fds=fds, env=os.environ.copy())
    finally:
        for fd in fds:
            os.close(fd)


def test_first_admin_accounts_and_tokens(settings: Settings) -> None:
    made = sohoa("users", "add", "quan.tri", "--role", "admin", "--json", pass_fd="mat-khau-quan-tri\n")
    assert made.returncode == 0, made.stderr
    assert sohoa("users", "add", "lan", "--role", "archivist", "--agency", "H39.01",
                 pass_fd="mat-khau-luu-tru\n").returncode == 0
    listed = [json.loads(line) for line in sohoa("users", "list", "--json").stdout.splitlines()]
    assert {(u["username"], u["role"], tuple(u["agencies"])) for u in listed} == {
        ("quan.tri", "admin", ()), ("lan", "archivist", ("H39.01",))}
    refused = sohoa("users", "add", "lan2", "--role", "archivist", "--agency", "H39.01", pass_fd="ngan\n")
    assert refused.returncode == 1 and "10" in refused.stderr and "Traceback" not in refused.stderr
    no_role = sohoa("users", "add", "x", "--role", "boss", pass_fd="mat-khau-quan-tri\n")
    assert no_role.returncode == 1 and "archivist" in no_role.stderr
    token = json.loads(sohoa("tokens", "add", "tram-1", "--agency", "H39.01", "--json").stdout)
    assert token["token"].startswith("sohoa_")
    with Register(settings.register_url).engine.connect() as c:
        dump = str(c.execute(text("SELECT * FROM api_token")).all()) + str(c.execute(text("SELECT * FROM audit")).all())
    assert token["token"] not in dump and "mat-khau" not in dump  # neither secret is stored or audited
    assert sohoa("tokens", "revoke", str(token["id"])).returncode == 0
    assert "revoked" in sohoa("tokens", "list").stdout


def test_audit_verify_and_export(settings: Settings, tmp_path: Path) -> None:
    sohoa("users", "add", "quan.tri", "--role", "admin", pass_fd="mat-khau-quan-tri\n")
    sohoa("users", "disable", "quan.tri")
    ok = sohoa("audit", "verify", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout) == {"ok": True, "rows": 2, "broken_id": None, "reason": None}
    out = tmp_path / "audit.jsonl"
    assert sohoa("audit", "export", "--from", "2020-01-01", "--out", str(out)).returncode == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["detail"]["what"] for r in rows] == ["user_added", "user_disabled"] and all(r["hash"] for r in rows)
    assert sohoa("audit", "export", "--to", "2020-01-01").stdout == ""
    with Register(settings.register_url).engine.begin() as c:
        c.execute(text("DROP TRIGGER audit_no_update"))
        c.execute(text("UPDATE audit SET actor = 'someone' WHERE id = 1"))
    broken = sohoa("audit", "verify")
    assert broken.returncode == 1 and "audit row 1 is broken" in broken.stdout
    bad = sohoa("audit", "export", "--from", "yesterday")
    assert bad.returncode == 1 and "YYYY-MM-DD" in bad.stderr


def test_sohoa_web_and_sohoa_run_serve_the_pages(settings: Settings) -> None:
    import httpx

    from tests.servers import free_port, wait_for_port

    for command in (["web"], ["run"]):
        port = free_port()
        env = os.environ | {"SOHOA_WEB_PORT": str(port)}
        process = subprocess.Popen([sys.executable, "-m", "sohoa", *command], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        try:
            wait_for_port(port, timeout=90)
            assert httpx.get(f"http://127.0.0.1:{port}/search").status_code == 303  # to the login page
            login = httpx.get(f"http://127.0.0.1:{port}/login")
            assert login.status_code == 200 and "Đăng nhập" in login.text
        finally:
            process.terminate()
            output = process.communicate(timeout=60)[0]
        assert f"http://127.0.0.1:{port}/" in output and "sohoa users add NAME --role admin" in output


def test_web_processes_share_sessions_lockout_and_rate_limits(settings: Settings) -> None:
    """Two `sohoa web` (one of them with two worker processes) over one register answer as one."""
    import httpx

    from storage.accounts import Accounts, Role
    from storage.audit import Audit
    from tests.servers import free_port, wait_for_port
    from workers.services import Services

    register = Services(settings).register
    Accounts(register).add_user("lan", Role.ARCHIVIST, ("H39.01",), "mat-khau-luu-tru")
    env = os.environ | {"SOHOA_LOGIN_MAX_FAILURES": "3", "SOHOA_KIOSK_PER_MINUTE": "4"}
    ports = free_port(), free_port()
    servers = [subprocess.Popen([sys.executable, "-m", "sohoa", "web", "--port", str(port), "--workers", str(n)],
                                env=env, stdout=subprocess.DEVNULL) for port, n in zip(ports, (1, 2), strict=True)]
    try:
        for port in ports:
            wait_for_port(port, timeout=90)
        a, b = (f"http://127.0.0.1:{port}" for port in ports)
        children = Path(f"/proc/{servers[1].pid}/task/{servers[1].pid}/children").read_text().split()
        serving = [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
        assert len(serving) == 2  # `--workers 2`: uvicorn's supervisor and two serving processes

        def sign_in(client: httpx.Client, at: str, password: str) -> httpx.Response:
            form = client.get(f"{at}/login", headers={"connection": "close"}).text
            csrf = form.split('name="csrf" value="')[1].split('"')[0]
            return client.post(f"{at}/login", data={"username": "lan", "password": password, "csrf": csrf},
                               headers={"connection": "close"})

        with httpx.Client(timeout=30) as person:
            assert sign_in(person, a, "mat-khau-luu-tru").status_code == 303
            for _ in range(4):  # new connections: whichever process of b answers knows the session
                assert person.get(f"{b}/search", headers={"connection": "close"}).status_code == 200
        with httpx.Client(timeout=30) as guesser:
            assert [sign_in(guesser, at, "sai-mat-khau-1").status_code for at in (a, b, b)] == [401, 401, 401]
            locked = sign_in(guesser, a, "mat-khau-luu-tru")  # the right password, after 3 wrong ones anywhere
            assert locked.status_code == 401 and "Tài khoản bị khóa" in locked.text
        assert [r["action"] for r in Audit(register).rows()][-2:] == ["locked", "login_failed"]
        kiosk = [httpx.get(f"{at}/kiosk", params={"code": "X-1"}, headers={"connection": "close"}).status_code
                 for at in (a, b, a, b, a, b)]
        assert kiosk == [200, 200, 200, 200, 429, 429]  # 4 a minute from this address, over both servers
    finally:
        for server in servers:
            server.terminate()
            server.wait(30)


def test_sohoa_run_on_web_processes_takes_their_uploads(settings: Settings, tmp_path: Path) -> None:
    """With several web processes, an upload received by one of them still reaches `sohoa run`'s pipeline."""
    import threading

    import httpx

    from sohoa.cli.web import EmbeddedWeb
    from storage.accounts import Accounts
    from tests.conftest import MARRIAGE_FORM, save_scan
    from tests.servers import free_port, wait_for_port
    from workers.services import Services

    services = Services(settings.model_copy(update={"web_workers": 2, "web_port": free_port()}))
    _, token = Accounts(services.register).add_token("tram-1", "H39.01")
    submitted: list[int] = []
    arrived = threading.Event()

    def submit(dossier_id: int) -> None:
        submitted.append(dossier_id)
        arrived.set()

    web = EmbeddedWeb(services, submit)
    try:
        assert web.child is not None  # served by `sohoa web --workers 2` beside the pipeline
        wait_for_port(services.settings.web_port, timeout=90)
        scan = save_scan(tmp_path / "ket-hon.pdf", [MARRIAGE_FORM])
        with scan.open("rb") as f:
            answer = httpx.post(f"http://127.0.0.1:{services.settings.web_port}/api/v1/dossiers",
                                headers={"authorization": f"Bearer {token}"}, timeout=60,
                                files={"files": ("ket-hon.pdf", f, "application/pdf")})
        assert answer.status_code == 201, answer.text
        assert arrived.wait(30)
        assert submitted == [answer.json()["dossier_id"]]
    finally:
        web.close()
    assert web.child.poll() is not None  # stopped with `sohoa run`


def test_the_web_of_a_killed_sohoa_run_goes_with_it(settings: Settings) -> None:
    """`sohoa run` killed with SIGKILL (no clean-up) leaves no web process holding the port."""
    import signal
    import socket
    import time

    from tests.servers import free_port, wait_for_port

    port = free_port()
    env = os.environ | {"SOHOA_WEB_PORT": str(port), "SOHOA_WEB_WORKERS": "2"}
    run = subprocess.Popen([sys.executable, "-m", "sohoa", "run"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(port, timeout=90)
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) != 0:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("the web of the killed `sohoa run` still answers")
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # whatever is left of the group (the OCR pool)
