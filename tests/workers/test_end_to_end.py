"""A scanner station drops dossiers; seconds later an archivist finds them by their Vietnamese text.

These tests drive the real `sohoa` command (real Tesseract, real files, real SQLite) the way a
counter uses it: `ingest` for scripts, and `run` watching an inbox, killed with SIGKILL mid-dossier.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from settings import Settings
from storage.register import Register
from tests.conftest import BIRTH_FORM, MARRIAGE_FORM, SAMPLES, save_scan

pytestmark = pytest.mark.slow

SOHOA = [sys.executable, "-m", "sohoa"]


def sohoa(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*SOHOA, *args], capture_output=True, text=True, timeout=600, env=os.environ.copy())
    if check and result.returncode != 0:
        raise AssertionError(f"sohoa {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def register_of(settings: Settings) -> Register:
    return Register(settings.register_url)


def finished(register: Register) -> int:
    """Dossiers through the whole pipeline: filed automatically, or waiting for a reviewer."""
    counts = register.counts_by_state()
    return counts.get("digitized", 0) + counts.get("needs_review", 0)


def sample(name: str) -> Path:
    return SAMPLES / "dossiers" / name


def test_samples_become_searchable_dossiers(settings: Settings) -> None:
    births = ["scan-0022", "scan-0029.pdf"]  # a JPEG folder with a receipt slip, and a clean PDF
    others = ["scan-0008.pdf", "scan-0012.pdf", "scan-0004.tif"]  # marriage; residence with slip; G4 TIFF
    out = sohoa("ingest", *(str(sample(n)) for n in births + others), "--json")
    results = {Path(r["path"]).name: r for r in json_lines(out.stdout)}
    assert {r["state"] for r in results.values()} == {"digitized"}  # every one filed under its procedure
    manifest = {Path(d["path"]).name: d for d in json.loads((SAMPLES / "manifest.json").read_text())["dossiers"]}
    for name, result in results.items():
        assert result["pages"] == len(manifest[name]["pages"])
        assert result["code"] == manifest[name].get("dossier_code"), name  # read from the slip
        assert sample(name).exists()  # ingest leaves sources where they are

    birth_ids = {results[n]["dossier_id"] for n in births}
    for query in ("dang ky khai sinh", "đăng ký khai sinh"):
        hits = json_lines(sohoa("search", query, "--json").stdout)
        assert birth_ids <= {h["dossier_id"] for h in hits}, query
        assert all(h["snippet"] and "<mark>" in h["snippet"] for h in hits)
        assert {h["dossier_id"] for h in hits[:2]} == birth_ids, query

    dossier = json_lines(sohoa("show", str(results["scan-0012.pdf"]["dossier_id"]), "--json").stdout)[0]
    roles = sorted(f["role"] for f in dossier["files"])
    assert roles == ["digitized", "original"]
    assert all(len(f["sha256"]) == 64 for f in dossier["files"])
    assert [p["number"] for p in dossier["pages"]] == [1, 2]
    assert all(p["confidence"] > 50 for p in dossier["pages"])
    assert [e["action"] for e in dossier["events"]][:2] == ["received", "stored"]
    assert dossier["events"][-1]["action"] == "viewed"  # reading personal data is logged

    digitized = next(f for f in dossier["files"] if f["role"] == "digitized")
    pdf = settings.objects / digitized["key"]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "THAY ĐỔI THÔNG TIN CƯ TRÚ" in text.upper()

    status = json_lines(sohoa("status", "--json").stdout)[0]
    assert status["dossiers"] == 5 and status["by_state"]["digitized"] == 5 and status["quarantined"] == 0


def test_same_bytes_dropped_again_are_one_dossier(settings: Settings, tmp_path: Path) -> None:
    scan = save_scan(tmp_path / "ho-so.png", [BIRTH_FORM])
    copy = tmp_path / "ban-sao.png"
    shutil.copy(scan, copy)
    first = json_lines(sohoa("ingest", str(scan), "--json").stdout)[0]
    second = json_lines(sohoa("ingest", str(copy), "--json").stdout)[0]
    assert first["dossier_id"] == second["dossier_id"] and second["new"] is False
    register = register_of(settings)
    assert sum(register.counts_by_state().values()) == 1
    assert [e.action for e in register.events(first["dossier_id"], action="dropped_again")] == ["dropped_again"]


def test_refused_input_is_reported_and_the_rest_flows(settings: Settings, tmp_path: Path) -> None:
    good = save_scan(tmp_path / "good.pdf", [MARRIAGE_FORM])
    (tmp_path / "empty.pdf").write_bytes(b"")
    result = sohoa("ingest", str(tmp_path / "empty.pdf"), str(good), "--json", check=False)
    assert result.returncode == 1
    by_name = {Path(r["path"]).name: r for r in json_lines(result.stdout)}
    assert by_name["empty.pdf"]["state"] == "refused" and "empty" in by_name["empty.pdf"]["error"]
    assert by_name["good.pdf"]["state"] in ("digitized", "needs_review")


class Runner:
    """`sohoa run` in a subprocess, as a counter machine runs it."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen([*SOHOA, "run"], stdout=out, stderr=subprocess.STDOUT,
                                            env=os.environ.copy(), start_new_session=True)

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)  # the whole group: pipeline and OCR processes
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_until(condition, timeout: float, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; sohoa run said:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


@pytest.fixture
def runner(tmp_path: Path):  # type: ignore[no-untyped-def]
    runner = Runner(tmp_path / "run.log")
    yield runner
    runner.stop()


def test_kill_9_mid_dossier_then_restart_loses_and_duplicates_nothing(
        settings: Settings, tmp_path: Path, runner: Runner) -> None:
    settings.inbox.mkdir(parents=True)
    staged = tmp_path / "staged"
    names = []
    for i in range(4):
        names.append(f"ho-so-{i}.pdf")
        save_scan(staged / names[-1], [[*BIRTH_FORM, f"Số thứ tự {i}"], MARRIAGE_FORM, BIRTH_FORM])
    runner.start()
    for name in names:
        shutil.move(staged / name, settings.inbox / name)
    register = register_of(settings)

    def ocr_running() -> bool:
        with register.session() as s:
            return bool(s.execute(text("SELECT 1 FROM step WHERE name = 'ocr' AND state = 'running'")).first())

    wait_until(ocr_running, 120, runner.log)
    runner.kill()
    assert finished(register) < 4  # killed mid-way, truly

    runner.start()
    wait_until(lambda: finished(register) == 4, 300, runner.log)
    assert sum(register.counts_by_state().values()) == 4
    assert sorted(p.name for p in settings.inbox.iterdir()) == []
    with register.session() as s:
        assert s.execute(text("SELECT count(*) FROM file WHERE role = 'original'")).scalar() == 4
        assert s.execute(text("SELECT count(*) FROM file WHERE role = 'digitized'")).scalar() == 4
        assert s.execute(text("SELECT count(*) FROM page")).scalar() == 12
        assert s.execute(text("SELECT count(*) FROM search_index")).scalar() == 16  # 12 pages + 4 metadata
        assert s.execute(text("SELECT count(*) FROM dossier")).scalar() == 4
    hits = json_lines(sohoa("search", "so thu tu 2", "--json").stdout)
    assert len(hits) == 1


def test_burst_of_50_files_with_bad_ones_among_them(settings: Settings, tmp_path: Path, runner: Runner) -> None:
    settings.inbox.mkdir(parents=True)
    staged = tmp_path / "staged"
    for i in range(50):
        save_scan(staged / f"trang-{i:02d}.png", [[f"HỒ SƠ SỐ {i}", "TỜ KHAI ĐĂNG KÝ KHAI SINH"]], dpi=150)
    (staged / "rong.pdf").write_bytes(b"")
    shutil.copy("/bin/true", staged / "virus.pdf")
    runner.start()
    for path in sorted(staged.iterdir()):
        shutil.move(path, settings.inbox / path.name)
    register = register_of(settings)
    # the empty file is given longer to settle (it may be a copy that has not started), so it can come last
    wait_until(lambda: finished(register) == 50 and len(list(settings.quarantine.glob("*.reason.txt"))) == 2,
               420, runner.log)
    status = json_lines(sohoa("status", "--json").stdout)[0]
    assert status["dossiers"] == 50 and status["quarantined"] == 2
    reasons = sorted(p.name for p in settings.quarantine.glob("*.reason.txt"))
    assert reasons == ["rong.pdf.reason.txt", "virus.pdf.reason.txt"]
    assert "not a PDF, TIFF, JPEG or PNG" in (settings.quarantine / "virus.pdf.reason.txt").read_text()
    assert len(list(settings.done.rglob("*.png"))) == 50
