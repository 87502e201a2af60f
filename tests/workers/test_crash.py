"""`kill -9` at random moments during a burst of 200 dossiers: nothing lost, duplicated or stuck.

The main process of `sohoa run` is killed (only it: its helpers must die with it) and started
again; page processes are killed under it. Dossiers are one small page each, so OCR is cheap and
the crashes land in every step: settling, storing, leaving the inbox, OCR, classify, index.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import text

from settings import Settings
from storage.register import Register
from tests.conftest import FONT
from tests.workers.test_receive import Run, alive, descendants

pytestmark = pytest.mark.slow

DOSSIERS = 200


def tiny_scan(path: Path, n: int) -> None:
    page = Image.new("L", (600, 160), 255)
    ImageDraw.Draw(page).text((20, 50), f"HỒ SƠ SỐ {n} ĐĂNG KÝ KHAI SINH", font=ImageFont.truetype(str(FONT), 28),
                              fill=0)
    page.save(path, dpi=(150, 150))


def page_processes(main: int) -> list[int]:
    """The page processes: children of the fork server, itself a child of `sohoa run`."""
    children = descendants(main)
    return [pid for pid in children if _parent(pid) in children]


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def test_kill_9_at_random_moments_during_a_burst_loses_duplicates_and_strands_nothing(
        settings: Settings, tmp_path: Path) -> None:
    seed = int(os.environ.get("SOHOA_CRASH_SEED", time.time()))
    chance = random.Random(seed)
    staged = tmp_path / "staged"
    staged.mkdir()
    for n in range(DOSSIERS):
        tiny_scan(staged / f"ho-so-{n:03d}.png", n)
    settings.inbox.mkdir(parents=True)
    log = tmp_path / "run.log"
    run = Run(log, {"SOHOA_SETTLE_SECONDS": "0.3"}).start()
    register = Register(settings.register_url)
    try:
        deadline = time.monotonic() + 60
        while not settings.home.joinpath("sohoa.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        for path in sorted(staged.iterdir()):
            shutil.move(path, settings.inbox / path.name)
        kills = ["main", "page", "page", "main", "page", "page", "main", "page"]
        finished_at_kill: list[int] = []
        for kind in kills:
            time.sleep(chance.uniform(2, 9))
            assert run.process is not None
            if kind == "page":
                for pid in page_processes(run.process.pid)[:1]:
                    os.kill(pid, signal.SIGKILL)
                continue
            helpers = descendants(run.process.pid)
            finished_at_kill.append(finished(register))
            run.process.send_signal(signal.SIGKILL)
            run.process.wait()
            wait_until(lambda h=helpers: not [p for p in h if alive(p)], 10, log, "helpers to die")  # type: ignore[misc]
            run.start()
        wait_until(lambda: finished(register) >= DOSSIERS, 600, log, f"{DOSSIERS} dossiers (seed {seed})")
        time.sleep(2)
    finally:
        run.stop()
    assert min(finished_at_kill) < DOSSIERS  # killed mid-burst, truly
    counts = register.counts_by_state()
    assert counts.get("digitized", 0) + counts.get("needs_review", 0) == DOSSIERS, (seed, counts)  # none stuck
    with register.session() as s:
        one = s.execute(text("SELECT count(*), count(DISTINCT fingerprint) FROM dossier")).one()
        assert tuple(one) == (DOSSIERS, DOSSIERS), seed
        assert s.execute(text("SELECT count(*) FROM file WHERE role = 'original'")).scalar() == DOSSIERS
        assert s.execute(text("SELECT count(*) FROM file WHERE role = 'digitized'")).scalar() == DOSSIERS
        assert s.execute(text("SELECT count(*) FROM page")).scalar() == DOSSIERS
        assert s.execute(text("SELECT count(*) FROM search_index")).scalar() == 2 * DOSSIERS
    assert list(settings.inbox.iterdir()) == []
    assert len(list(settings.done.rglob("*.png"))) == DOSSIERS
    assert not list(settings.quarantine.glob("*"))


def finished(register: Register) -> int:
    counts = register.counts_by_state()
    return counts.get("digitized", 0) + counts.get("needs_review", 0)


def wait_until(condition, timeout: float, log: Path, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; sohoa run said:\n"
                                 f"{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)
