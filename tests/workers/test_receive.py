"""The inbox as an attacker or a careless share fills it: every entry gets its verdict, none stops intake.

The watcher here is the real one (`serve_inboxes`: the same Receiver `sohoa run` and `sohoa watch`
use) over a real SQLite register and object store; only the OCR is left out (dossiers received
are collected instead of digitized). `sohoa run` and `sohoa ingest` are run as processes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingest.intake import assemble
from settings import Settings
from tests.conftest import BIRTH_FORM, save_scan
from tests.ingest.hostile import KINDS, _pdf_bytes
from workers.inboxes import serve_inboxes
from workers.quarantine import REASON_SUFFIX
from workers.receive import LEAVING, Taken
from workers.services import Services

SOHOA = [sys.executable, "-m", "sohoa"]


def wait_for(condition: Callable[[], bool], timeout: float, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class Intake:
    """`serve_inboxes` on a thread, as `sohoa run` runs it, minus the OCR."""

    def __init__(self, settings: Settings) -> None:
        self.services = Services(settings)
        self.submitted: list[int] = []
        self.taken: list[Taken] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=serve_inboxes, args=(self.services, self.stop), daemon=True, kwargs={
            "submit": self.submitted.append, "report": self.taken.append, "report_result": lambda *_: None})

    def __enter__(self) -> Intake:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


@pytest.fixture
def quick(settings: Settings) -> Settings:
    """Short settle and grace times, so a test waits seconds where a counter waits a minute."""
    settings.inbox.mkdir(parents=True)
    return settings.model_copy(update={"settle_seconds": 0.2, "unfinished_grace_seconds": 1.5,
                                       "unreadable_seconds": 3.0})


def shown(name: str) -> str:
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def test_every_hostile_entry_gets_its_verdict_and_intake_goes_on(quick: Settings,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    entries = {kind.build(quick.inbox).name: kind for kind in KINDS}
    started = time.process_time()
    with Intake(quick) as intake, caplog.at_level(logging.WARNING):
        wait_for(lambda: not [p for p in quick.inbox.iterdir()], 60, "the inbox to empty")
        assert intake.thread.is_alive()
    cpu = time.process_time() - started
    register = intake.services.register
    quarantined = {e.detail["name"]: e.detail for e in register.events(action="quarantined") if e.detail}
    for name, kind in entries.items():
        if kind.refusal is None:
            continue
        detail = quarantined[shown(name)]
        assert detail["code"] == kind.refusal, name
        reason = quick.quarantine / (detail["moved_to"] + REASON_SUFFIX)
        assert f"(reason code: {kind.refusal})" in reason.read_text(encoding="utf-8")
        assert (quick.quarantine / detail["moved_to"]).is_symlink() == (kind.refusal == "link" and
                                                                        kind.name.startswith("link"))
    good = [kind for kind in KINDS if kind.refusal is None]
    assert len(intake.submitted) == len(good) == len(set(intake.submitted))
    pages = sorted(register.get(d).page_count or 0 for d in intake.submitted)  # type: ignore[union-attr]
    assert pages == sorted(kind.pages for kind in good)
    ours = [r for r in caplog.records if r.name.startswith(("ingest", "workers")) and r.levelno >= logging.ERROR]
    assert not ours  # verdicts, not failures
    assert cpu < 30  # no busy loop on any of them
    outside = quick.inbox.parent / "outside"
    assert all(p.exists() for p in outside.rglob("*"))  # nothing was read or moved through a link


def test_a_copy_that_pauses_half_way_is_stored_whole(quick: Settings) -> None:
    whole = _pdf_bytes(3)
    target = quick.inbox / "cham.pdf"
    with Intake(quick.model_copy(update={"unfinished_grace_seconds": 20.0})) as intake:
        with target.open("wb") as f:  # a slow SMB share: half the bytes, a 3 s pause, then the rest
            f.write(whole[: len(whole) // 2])
            f.flush()
            time.sleep(3)
            f.write(whole[len(whole) // 2:])
        wait_for(lambda: intake.submitted, 30, "the dossier")
    [dossier_id] = intake.submitted
    assert intake.services.register.get(dossier_id).page_count == 3  # type: ignore[union-attr]
    assert not list(quick.quarantine.glob("*"))


def test_a_folder_a_crash_left_half_deleted_is_finished_not_made_a_second_dossier(quick: Settings) -> None:
    settings = quick.model_copy(update={"after_ingest": "delete"})
    folder = quick.inbox / "ho-so"
    for n in range(1, 4):
        save_scan(folder / f"trang-{n}.png", [[*BIRTH_FORM[:2], f"Trang {n}"]], dpi=72)
    services = Services(settings)
    from workers.receive import receive

    fingerprint = assemble(folder).fingerprint
    # what `sohoa run` leaves when killed while deleting the stored folder: it has left the
    # inbox by its rename, and some of its pages are gone
    staged = folder.with_name(f"{LEAVING}1-ho-so")
    receive(folder, services, actor="watcher", remove_source=False)
    folder.rename(staged)
    (staged / "trang-1.png").unlink()
    with Intake(settings) as intake:
        wait_for(lambda: not staged.exists(), 10, "the interrupted deletion to finish")
        time.sleep(1)
    assert intake.submitted == []
    assert services.register.find_by_fingerprint(fingerprint) is not None
    assert sum(services.register.counts_by_state().values()) == 1


def test_a_stored_folder_never_shows_in_the_inbox_half_deleted(quick: Settings) -> None:
    settings = quick.model_copy(update={"after_ingest": "delete"})
    folder = quick.inbox / "nhieu-trang"
    for n in range(1, 41):
        save_scan(folder / f"trang-{n}.png", [[f"Trang {n}"]], dpi=72)
    seen: list[int] = []
    stop = threading.Event()

    def watch_listing() -> None:  # what a watcher sees at every instant while the folder leaves
        while not stop.is_set():
            if folder.exists():
                with contextlib.suppress(FileNotFoundError):
                    seen.append(len(list(folder.iterdir())))

    spy = threading.Thread(target=watch_listing)
    spy.start()
    with Intake(settings) as intake:
        wait_for(lambda: intake.submitted and not folder.exists(), 20, "the folder to be stored")
    stop.set()
    spy.join()
    assert set(seen) <= {40}


def run_with_dac_dropped() -> list[str]:
    """Without the root's power to read any file, so a mode-000 file is truly unreadable."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]


class Run:
    """`sohoa run` in a subprocess, as a counter machine runs it."""

    def __init__(self, log: Path, env: dict[str, str] | None = None, prefix: list[str] | None = None) -> None:
        self.log = log
        self.env = os.environ | (env or {})
        self.prefix = prefix or []
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Run:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen([*self.prefix, *SOHOA, "run"], stdout=out, stderr=subprocess.STDOUT,
                                            env=self.env, start_new_session=True)
        return self

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[list[Run]]:
    started: list[Run] = []
    yield started
    for run in started:
        run.stop()


@pytest.mark.slow
def test_an_unreadable_file_is_quarantined_after_a_bounded_wait(quick: Settings, tmp_path: Path,
                                                                runs: list[Run]) -> None:
    locked = save_scan(quick.inbox / "khoa.png", [BIRTH_FORM], dpi=72)
    locked.chmod(0)
    run = Run(tmp_path / "run.log", {"SOHOA_UNREADABLE_SECONDS": "3"}, run_with_dac_dropped()).start()
    runs.append(run)
    wait_for(lambda: (quick.quarantine / ("khoa.png" + REASON_SUFFIX)).exists(), 60, "the quarantine")
    reason = (quick.quarantine / ("khoa.png" + REASON_SUFFIX)).read_text(encoding="utf-8")
    assert "could not be read: PermissionError" in reason and "Không đọc được tệp" in reason
    assert run.text().count("Traceback") <= 1


@pytest.mark.slow
def test_a_second_run_on_one_home_refuses_and_names_the_first(quick: Settings, tmp_path: Path,
                                                              runs: list[Run]) -> None:
    first = Run(tmp_path / "first.log").start()
    runs.append(first)
    wait_for(lambda: "is watching" in first.text(), 60, "the first run")
    second = subprocess.run([*SOHOA, "run"], capture_output=True, text=True, timeout=60)
    assert second.returncode == 1
    assert first.process is not None and str(first.process.pid) in second.stderr
    assert "already used by sohoa" in second.stderr and "đang được sohoa dùng" in second.stderr
    assert first.process.poll() is None


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_kill_9_of_run_takes_its_fork_server_page_processes_and_resource_tracker_along(
        quick: Settings, tmp_path: Path, runs: list[Run]) -> None:
    run = Run(tmp_path / "run.log").start()
    runs.append(run)
    assert run.process is not None
    wait_for(lambda: "is watching" in run.text(), 60, "sohoa run")
    helpers = descendants(run.process.pid)
    assert len(helpers) >= 4  # fork server, resource tracker, two page processes
    run.process.send_signal(signal.SIGKILL)  # the main process only, not its group
    run.process.wait()
    wait_for(lambda: not [p for p in helpers if alive(p)], 10, "the helpers to die")


@pytest.mark.slow
def test_sohoa_ingest_prints_one_line_per_input_whatever_happens_to_the_others(quick: Settings,
                                                                               tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    entries = [kind.build(inputs) for kind in KINDS]
    locked = save_scan(inputs / "khoa.png", [BIRTH_FORM], dpi=72)
    locked.chmod(0)
    args = [str(e) for e in entries] + [str(locked), str(inputs / "khong-co.pdf")]
    result = subprocess.run([*run_with_dac_dropped(), *SOHOA, "ingest", *args, "--json"], capture_output=True,
                            text=True, timeout=900)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [line["path"] for line in lines] == args
    assert result.returncode == 1 and "Traceback" not in result.stderr
    for kind, line in zip(KINDS, lines, strict=False):
        if kind.refusal is None:
            assert line["state"] in ("digitized", "needs_review") and line["pages"] == kind.pages, line
        else:
            assert line["state"] == "refused" and line["refusal"] == kind.refusal, line
            assert line["error"] and line["error_vi"]
    assert lines[-2]["refusal"] == "unreadable" and "PermissionError" in lines[-2]["error"]
    assert lines[-1]["refusal"] == "unreadable" and "no such file" in lines[-1]["error"]
    assert all(os.path.lexists(a) for a in args[:-1])  # sources left in place


@pytest.mark.slow
def test_a_full_disk_pauses_intake_says_so_once_and_intake_resumes_by_itself(tmp_path: Path) -> None:
    result = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-m",
                             "tests.workers.full_disk", str(tmp_path / "var")], capture_output=True, text=True,
                            timeout=600, env=os.environ.copy())
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["started"]
    assert report["left_in_inbox_while_full"] == ["ho-so-0.png", "ho-so-1.png", "ho-so-2.png"]
    assert report["status_while_full"]["paused"] and "full" in report["status_while_full"]["reason"]
    assert report["all_digitized_after"]
    assert report["status_after"] == {"paused": False, "reason": None}
    assert report["paused_said"] == 1 and report["resumed_said"] == 1
    assert report["tracebacks"] == 0


@pytest.mark.slow
def test_a_disk_that_fills_while_pages_are_read_holds_the_dossier_until_there_is_room(tmp_path: Path) -> None:
    result = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-m",
                             "tests.workers.full_disk", str(tmp_path / "var"), "ocr"], capture_output=True,
                            text=True, timeout=600, env=os.environ.copy())
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["started"] and report["reading"]
    assert report["by_state_while_full"]["failed"] == 0  # not failed: waiting
    assert report["by_state_while_full"]["digitizing"] == 1
    assert report["all_digitized_after"], report["by_state_after"]  # no `sohoa retry` needed
    assert report["waiting_said"] == 1 and report["tracebacks"] == 0


def test_a_folder_with_the_same_page_twice_keeps_both_pages(quick: Settings) -> None:
    from workers.receive import receive

    folder = quick.inbox / "hai-ban-sao"
    save_scan(folder / "trang-1.png", [[*BIRTH_FORM[:2], "Trang 1"]], dpi=72)
    (folder / "trang-2.png").write_bytes((folder / "trang-1.png").read_bytes())  # the same copy, twice
    save_scan(folder / "trang-3.png", [[*BIRTH_FORM[:2], "Trang 3"]], dpi=72)
    services = Services(quick)
    received = receive(folder, services, actor="watcher", remove_source=False)
    assert received.dossier_id is not None
    originals = services.register.files(received.dossier_id, "original")
    assert [f.name for f in originals] == ["trang-1.png", "trang-2.png", "trang-3.png"]
    assert originals[0].object_key == originals[1].object_key  # stored once
    assert services.register.get(received.dossier_id).page_count == 3  # type: ignore[union-attr]
