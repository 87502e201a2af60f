"""A file still being written is never taken half-written; a finished one is taken once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ingest.settle import SettleTracker
from ingest.watch import InboxWatcher, Outcome
from tests.conftest import BIRTH_FORM, save_scan


def write_slowly(source: bytes, target: Path, chunks: int = 8, pause: float = 0.15) -> None:
    step = len(source) // chunks + 1
    with target.open("wb") as f:
        for i in range(0, len(source), step):
            f.write(source[i:i + step])
            f.flush()
            time.sleep(pause)


def run_watcher(inbox: Path, seen: list[tuple[Path, int]], stop: threading.Event, **kwargs: float) -> threading.Thread:
    def handle(entry: Path, _tracker: SettleTracker) -> Outcome:
        if entry.is_symlink():
            size = 0
        else:
            size = sum(p.stat().st_size for p in entry.rglob("*")) if entry.is_dir() else entry.stat().st_size
        seen.append((entry, size))
        target = inbox.parent / "taken" / entry.name
        target.parent.mkdir(exist_ok=True)
        entry.rename(target)
        return Outcome.TAKEN

    watcher = InboxWatcher(inbox, **kwargs)
    thread = threading.Thread(target=watcher.run, args=(handle, stop), daemon=True)
    thread.start()
    return thread


def wait_for(condition, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_file_written_in_chunks_is_taken_whole(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    source = save_scan(tmp_path / "src.pdf", [BIRTH_FORM] * 3).read_bytes()
    seen: list[tuple[Path, int]] = []
    stop = threading.Event()
    thread = run_watcher(inbox, seen, stop, settle_seconds=0.5)
    write_slowly(source, inbox / "ho-so.pdf")
    wait_for(lambda: seen)
    time.sleep(0.5)
    stop.set()
    thread.join()
    assert seen == [(inbox / "ho-so.pdf", len(source))]


def test_folder_is_taken_when_every_page_has_settled(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "dossier").mkdir(parents=True)
    page = save_scan(tmp_path / "p.jpg", [BIRTH_FORM]).read_bytes()
    seen: list[tuple[Path, int]] = []
    stop = threading.Event()
    thread = run_watcher(inbox, seen, stop, settle_seconds=0.5)
    for n in range(1, 4):
        write_slowly(page, inbox / "dossier" / f"page-{n}.jpg", chunks=3, pause=0.1)
    wait_for(lambda: seen)
    stop.set()
    thread.join()
    assert seen == [(inbox / "dossier", 3 * len(page))]


def test_temporary_names_wait_for_their_rename(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    seen: list[tuple[Path, int]] = []
    stop = threading.Event()
    thread = run_watcher(inbox, seen, stop, settle_seconds=0.2)
    save_scan(inbox / "ho-so.pdf.part", [BIRTH_FORM])
    time.sleep(1.0)
    assert seen == []
    (inbox / "ho-so.pdf.part").rename(inbox / "ho-so.pdf")
    wait_for(lambda: seen)
    stop.set()
    thread.join()
    assert [entry.name for entry, _ in seen] == ["ho-so.pdf"]


def test_polling_mode_finds_files_without_inotify(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    seen: list[tuple[Path, int]] = []
    stop = threading.Event()
    thread = run_watcher(inbox, seen, stop, settle_seconds=0.2, poll_seconds=0.3, rescan_seconds=3600)
    time.sleep(0.3)
    save_scan(inbox / "a.png", [BIRTH_FORM])
    wait_for(lambda: seen)
    stop.set()
    thread.join()
    assert [entry.name for entry, _ in seen] == ["a.png"]


def test_settle_tracker_needs_quiet_time() -> None:
    now = [0.0]
    tracker = SettleTracker(2.0, clock=lambda: now[0])
    path = Path(__file__)
    assert not tracker.settled(path)
    now[0] = 1.9
    assert not tracker.settled(path)
    now[0] = 2.1
    assert tracker.settled(path)
    assert not tracker.past_grace(path)
    now[0] = 12.1
    assert tracker.past_grace(path)


class Flaky:
    """A handler whose every attempt fails, as a file that cannot be read would make it."""

    def __init__(self, fail_give_up: bool = False) -> None:
        self.attempts: list[float] = []
        self.given_up: list[Path] = []
        self.fail_give_up = fail_give_up

    def __call__(self, entry: Path, _tracker: SettleTracker) -> Outcome:
        self.attempts.append(time.monotonic())
        raise PermissionError(13, "Permission denied", str(entry))

    def give_up(self, entry: Path, error: BaseException) -> None:
        if self.fail_give_up:
            raise OSError(36, "File name too long")
        self.given_up.append(entry)
        entry.rename(entry.parent.parent / entry.name)


def test_an_entry_that_always_fails_is_retried_with_pauses_then_given_up_with_one_traceback(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    save_scan(inbox / "khoa.png", [BIRTH_FORM], dpi=72)
    flaky, stop = Flaky(), threading.Event()
    watcher = InboxWatcher(inbox, settle_seconds=0.1, max_attempts=4, max_failing_seconds=60)
    thread = threading.Thread(target=watcher.run, args=(flaky, stop, flaky.give_up), daemon=True)
    thread.start()
    wait_for(lambda: flaky.given_up, 30)
    stop.set()
    thread.join()
    assert len(flaky.attempts) == 4
    pauses = [b - a for a, b in zip(flaky.attempts, flaky.attempts[1:], strict=False)]
    assert pauses == sorted(pauses) and pauses[0] >= 0.9  # 1 s, 2 s, 4 s
    assert len([r for r in caplog.records if r.exc_info]) == 1


def test_an_entry_that_cannot_even_be_given_up_is_left_alone_until_it_changes(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    stuck = save_scan(inbox / "ket.png", [BIRTH_FORM], dpi=72)
    flaky, stop = Flaky(fail_give_up=True), threading.Event()
    watcher = InboxWatcher(inbox, settle_seconds=0.1, max_attempts=2, max_failing_seconds=60)
    thread = threading.Thread(target=watcher.run, args=(flaky, stop, flaky.give_up), daemon=True)
    thread.start()
    time.sleep(4)
    assert len(flaky.attempts) == 2  # parked: not looked at again
    stuck.write_bytes(stuck.read_bytes() + b"\0")  # it changed: a fresh start
    wait_for(lambda: len(flaky.attempts) >= 3, 10)
    stop.set()
    thread.join()


@pytest.mark.parametrize("poll", [0.0, 0.3])
def test_links_into_proc_and_to_huge_folders_neither_stop_nor_delay_the_watcher(tmp_path: Path, poll: float) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    huge = tmp_path / "huge"
    huge.mkdir()
    for n in range(20000):
        (huge / f"{n}.png").touch()
    for name, target in (("proc-cwd", "/proc/1/cwd"), ("proc", "/proc"), ("huge", str(huge)),
                         ("dangling", str(tmp_path / "none")), ("self", str(inbox / "self"))):
        (inbox / name).symlink_to(target)
    seen: list[tuple[Path, int]] = []
    stop = threading.Event()
    thread = run_watcher(inbox, seen, stop, settle_seconds=0.2, poll_seconds=poll)
    time.sleep(0.5)
    started = time.monotonic()
    save_scan(tmp_path / "a.png", [BIRTH_FORM], dpi=72).rename(inbox / "a.png")
    wait_for(lambda: any(entry.name == "a.png" for entry, _ in seen), 10)
    assert time.monotonic() - started < 3
    wait_for(lambda: len(seen) == 6, 10)  # every link handed over too, for its verdict
    stop.set()
    thread.join()
