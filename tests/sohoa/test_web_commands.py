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
