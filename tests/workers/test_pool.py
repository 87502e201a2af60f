"""The page processes: a page process that dies (an engine abort, the OOM killer) loses no page."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from ocr.pages import PageImage
from ocr.recognize import OcrOptions
from tests.conftest import save_scan
from workers.pool import PageCrashed, PagePool

OPTIONS = OcrOptions(lang="vie", text_pdf=False)


def pages(tmp_path: Path, count: int) -> list[PageImage]:
    return [PageImage(path=save_scan(tmp_path / f"trang-{n}.png", [[f"HỒ SƠ SỐ {n}", "ĐĂNG KÝ KHAI SINH"]]),
                      number=n, dpi=200) for n in range(1, count + 1)]


def pool_pids(pool: PagePool) -> set[int]:
    return set(pool._processes._processes)  # the executor's own record of its processes


def test_pages_in_flight_when_a_page_process_dies_are_all_read(tmp_path: Path) -> None:
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


def test_a_page_that_kills_every_process_it_is_read_in_fails_alone_with_a_reason(tmp_path: Path) -> None:
    scans = pages(tmp_path, 2)
    with PagePool(1) as pool:
        stop = threading.Event()

        def kill_page_processes_outside_the_pool() -> None:  # the page read alone dies too, as a bad page would
            while not stop.is_set():
                for pid in _forkserver_children() - pool_pids(pool):
                    os.kill(pid, signal.SIGKILL)
                time.sleep(0.005)

        reading = pool.recognize(scans[:1], OPTIONS)
        os.kill(min(pool_pids(pool)), signal.SIGKILL)
        killer = threading.Thread(target=kill_page_processes_outside_the_pool)
        killer.start()
        try:
            with pytest.raises(PageCrashed, match="page 1 stopped the OCR engine's process"):
                next(reading)
        finally:
            stop.set()
            killer.join()
        [next_page] = pool.recognize(scans[1:], OPTIONS)  # the pool goes on with the next dossier
        assert "SỐ 2" in next_page.text


def _forkserver_children() -> set[int]:
    """Processes started by the fork server that this test process started."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    servers = {pid for pid, parent in parents.items() if parent == os.getpid()}
    return {pid for pid, parent in parents.items() if parent in servers}
