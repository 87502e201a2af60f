"""The page processes: a page process that dies (an engine abort, the OOM killer) loses no page."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from ocr.pages import PageImage
from ocr.recognize import OcrOptions
from tests.conftest import save_scan
from workers.pool import PageFailed, PagePool

OPTIONS = OcrOptions(lang="vie", text_pdf=False)


def pages(tmp_path: Path, count: int) -> list[PageImage]:
    return [PageImage(path=save_scan(tmp_path / f"trang-{n}.png", [[f"HỒ SƠ SỐ {n}", "ĐĂNG KÝ KHAI SINH"]]),
                      number=n, dpi=200) for n in range(1, count + 1)]


def pool_pids(pool: PagePool) -> set[int]:
    return set(pool._processes._processes)  # the executor's own record of its processes


def test_pages_in_flight_when_a_page_process_dies_are_all_read(tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    scans = pages(tmp_path, 6)
    with PagePool(2) as pool:
        before = pool_pids(pool)
        reading = pool.recognize(scans, OPTIONS)
        first = next(reading)  # every page is handed over by now; five are queued or being read
        os.kill(min(before), signal.SIGKILL)
        results = [first, *reading]
        assert [r.number for r in results] == [1, 2, 3, 4, 5, 6]
        assert all(f"SỐ {r.number}" in r.text and "KHAI SINH" in r.text for r in results)
        [again] = pool.recognize(scans[:1], OPTIONS)
        assert "SỐ 1" in again.text
        assert pool_pids(pool).isdisjoint(before)  # fresh processes took over
        assert not [r for r in caplog.records if "alone" in r.getMessage()]  # all of them, not one by one


def test_a_page_that_kills_every_process_it_is_read_in_fails_alone_with_a_reason(tmp_path: Path) -> None:
    scans = pages(tmp_path, 2)
    with PagePool(2) as pool:
        stop = threading.Event()

        def kill_every_process_reading_a_page() -> None:  # as an engine aborting on this page would
            while not stop.is_set():
                for pid in _forkserver_children():
                    if _cpu_seconds(pid) > 0.05:  # a process that started reading, not one starting up
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.005)

        killer = threading.Thread(target=kill_every_process_reading_a_page)
        killer.start()
        try:
            with pytest.raises(PageFailed, match="page 1 stopped the OCR engine's process"):
                list(pool.recognize(scans[:1], OPTIONS))
        finally:
            stop.set()
            killer.join()
        [next_page] = pool.recognize(scans[1:], OPTIONS)  # the pool goes on with the next dossier
        assert "SỐ 2" in next_page.text


def test_a_page_still_being_read_past_its_time_is_stopped_and_the_pool_goes_on(tmp_path: Path) -> None:
    stuck = tmp_path / "stuck.png"
    os.mkfifo(stuck)  # opening it blocks until someone writes: a page that never finishes
    [scan] = pages(tmp_path, 1)
    with PagePool(1) as pool:
        started = time.monotonic()
        with pytest.raises(PageFailed, match="page 7 was still being read after 3 s"):
            list(pool.recognize([PageImage(path=stuck, number=7, dpi=200)], replace(OPTIONS, timeout=3)))
        assert time.monotonic() - started < 10
        [after] = pool.recognize([scan], OPTIONS)
        assert "SỐ 1" in after.text


def test_page_processes_that_die_as_they_start_are_started_again_and_the_log_says_how(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    stop = threading.Event()

    def kill_every_new_page_process() -> None:  # as the OOM killer does on a machine out of memory
        while not stop.is_set():
            for pid in _forkserver_children():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.002)

    killer = threading.Thread(target=kill_every_new_page_process)
    killer.start()
    threading.Timer(3.0, stop.set).start()
    try:
        with PagePool(1) as pool:
            assert stop.is_set()  # it waited out the deaths instead of giving up
            [scan] = pages(tmp_path, 1)
            [result] = pool.recognize([scan], OPTIONS)
            assert "SỐ 1" in result.text
    finally:
        stop.set()
        killer.join()
    deaths = [r.getMessage() for r in caplog.records if "die as they start" in r.getMessage()]
    assert deaths and "killed by SIGKILL" in deaths[0]


def _forkserver_children() -> set[int]:
    """Processes started by the fork server that this test process started."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
    servers = {pid for pid, parent in parents.items() if parent == os.getpid()}
    return {pid for pid, parent in parents.items() if parent in servers}


def _cpu_seconds(pid: int) -> float:
    try:
        fields = _stat(pid)
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat past the command name: state, parent, ..., user and system time at 11 and 12."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
