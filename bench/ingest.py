"""Intake without OCR: how many dossiers a second the watcher takes in, where the time goes, idle CPU.

    .venv/bin/python -m bench.ingest [--dossiers 1000] [--idle-seconds 20] [--done-files 10000]

1,000 small dossiers (one-page PNGs and PDFs, and 3-page folders) are dropped into an inbox and
taken by the real watcher and Receiver (`workers.inboxes.serve_inboxes`, what `sohoa run` runs)
over SQLite and the local object store, with a settle delay of 0 (the delay is waiting, not work)
and the OCR left out (received dossiers are only counted). Each part's time is measured by
wrapping the function that does it: settle (the entry's signature), validate (type sniffing and
decoding), hash (SHA-256), store (object store put, verified), register (the register's writes
and look-ups) and leave (the rename out of the inbox and the move to done/). The baseline, in the
same run: copying and hashing the same files, the least any intake must do.

Then the watcher's CPU while idle: both watched folders empty, 10,000 files in done/, for
`--idle-seconds`, with inotify and with polling (SMB/NFS shares). Targets: >= 20 dossiers/s on
2 cores (never the bottleneck of the page pool), idle CPU < 1%.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw

import ingest.intake
import ingest.settle
import workers.receive
from settings import Settings
from storage.local import LocalObjectStore
from storage.register import Register
from workers.inboxes import serve_inboxes
from workers.services import Services

SPENT: dict[str, float] = defaultdict(float)


def timed(part: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[part] += time.perf_counter() - started
    return wrapper


def instrument() -> None:
    ingest.settle.SettleTracker.stable_for = timed("settle", ingest.settle.SettleTracker.stable_for)  # type: ignore[method-assign]
    ingest.intake.check_file = timed("validate", ingest.intake.check_file)
    ingest.intake.sha256_file = timed("hash", ingest.intake.sha256_file)
    LocalObjectStore.put = timed("store", LocalObjectStore.put)  # type: ignore[method-assign]
    for name in ("find_by_fingerprint", "create_dossier", "update", "add_file", "add_event"):
        setattr(Register, name, timed("register", getattr(Register, name)))
    workers.receive.leave_inbox = timed("leave", workers.receive.leave_inbox)


def page(n: int) -> Image.Image:
    image = Image.new("L", (850, 1100), 255)  # a letter page at 100 dpi
    draw = ImageDraw.Draw(image)
    for line in range(12):
        draw.text((60, 80 + 70 * line), f"HO SO SO {n} - DONG {line} - DANG KY KHAI SINH", fill=0)
    return image


def make_dossiers(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True)
    made = []
    for n in range(count):
        if n % 10 == 9:
            entry = folder / f"thu-muc-{n:04d}"
            entry.mkdir()
            for p in range(1, 4):
                page(n * 10 + p).save(entry / f"trang-{p}.png")
        elif n % 3 == 0:
            entry = folder / f"ho-so-{n:04d}.pdf"
            buffer = io.BytesIO()
            page(n).save(buffer, "PDF", resolution=100)
            entry.write_bytes(buffer.getvalue())
        else:
            entry = folder / f"ho-so-{n:04d}.png"
            page(n).save(entry)
        made.append(entry)
    return made


def baseline(entries: list[Path], target: Path) -> float:
    """Copy and hash every file: the floor of any intake."""
    started = time.perf_counter()
    for entry in entries:
        files = sorted(entry.iterdir()) if entry.is_dir() else [entry]
        for f in files:
            out = target / f"{entry.name}-{f.name}"
            shutil.copyfile(f, out)
            hashlib.sha256(out.read_bytes()).hexdigest()
            os.fsync(os.open(out, os.O_RDONLY))
    return time.perf_counter() - started


def intake(settings: Settings, staged: Path, count: int) -> tuple[float, int]:
    services = Services(settings)
    services.register  # noqa: B018  (migrations run before the clock starts)
    submitted: list[int] = []
    stop = threading.Event()
    thread = threading.Thread(target=serve_inboxes, args=(services, stop), daemon=True, kwargs={
        "submit": submitted.append, "report": lambda _t: None, "report_result": lambda *_: None})
    thread.start()
    while not settings.inbox.exists():
        time.sleep(0.01)
    SPENT.clear()
    started = time.perf_counter()
    for entry in sorted(staged.iterdir()):
        entry.rename(settings.inbox / entry.name)
    while len(submitted) < count:
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    stop.set()
    thread.join()
    return elapsed, len(submitted)


def idle_cpu(settings: Settings, seconds: float, poll: float) -> float:
    services = Services(settings.model_copy(update={"poll": poll}))
    stop = threading.Event()
    thread = threading.Thread(target=serve_inboxes, args=(services, stop), daemon=True, kwargs={
        "submit": lambda _d: None, "report": lambda _t: None, "report_result": lambda *_: None})
    thread.start()
    time.sleep(2)  # start-up is not idling
    cpu, wall = time.process_time(), time.perf_counter()
    time.sleep(seconds)
    share = (time.process_time() - cpu) / (time.perf_counter() - wall)
    stop.set()
    thread.join()
    return share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--done-files", type=int, default=10000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-ingest-") as tmp:
        root = Path(tmp)
        staged = root / "staged"
        entries = make_dossiers(staged, args.dossiers)
        copies = root / "copies"
        copies.mkdir()
        floor = baseline(entries, copies)
        settings = Settings(home=root / "var", settle_seconds=0.0, rescan_seconds=30.0)
        instrument()
        elapsed, taken = intake(settings, staged, args.dossiers)
        rate = taken / elapsed
        print(f"intake: {taken} dossiers in {elapsed:.1f} s = {rate:.1f} dossiers/s "
              f"(target >= 20); baseline copy+hash {floor:.2f} s = {taken / floor:.0f} dossiers/s; "
              f"intake costs {elapsed / floor:.1f}x the baseline")
        accounted = sum(SPENT.values())
        for part in ("settle", "validate", "hash", "store", "register", "leave"):
            print(f"  {part:<9} {SPENT[part]:7.2f} s  {100 * SPENT[part] / elapsed:5.1f}% of the wall time")
        print(f"  {'other':<9} {elapsed - accounted:7.2f} s  {100 * (elapsed - accounted) / elapsed:5.1f}% "
              "(the watcher's loop, waiting for events)")
        done = settings.done / "old"
        done.mkdir(parents=True, exist_ok=True)
        for n in range(args.done_files):
            (done / f"{n}.png").write_bytes(b"x")
        for poll in (0.0, 2.0):
            share = idle_cpu(settings, args.idle_seconds, poll)
            mode = "inotify" if not poll else f"polling every {poll:.0f} s"
            print(f"idle CPU with {args.done_files} files in done/ ({mode}): {100 * share:.2f}% of one core "
                  "(target < 1%)")


if __name__ == "__main__":
    main()
