"""Watching an inbox folder and handing over each settled entry exactly when it is complete.

watchdog's events only wake the loop early: the loop itself decides, from the files on disk, what
is there and whether it has settled. That way a missed event (inotify queue overflow, a share that
sends none) costs at most one rescan period, never a lost dossier. On SMB/NFS shares inotify
events never arrive, so `poll_seconds` switches watchdog to its polling observer. Only the inbox
itself is watched, not what is under it: the loop reads each candidate's signature anyway, and a
recursive watch would walk into whatever a folder (or a link) holds, 126,000 files and all.

No entry can stop the watcher or spin it: whatever handling an entry raises, the entry is looked
at again later with a growing pause, its traceback logged once; after `max_attempts` (or
`max_failing_seconds`) it is handed to `give_up` (which quarantines it as unreadable); and if even
that fails it is parked, untouched, until it changes on disk.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserverVFS

from ingest.names import is_temporary
from ingest.settle import SettleTracker, Signature, signature

log = logging.getLogger(__name__)


class Outcome(Enum):
    TAKEN = "taken"  # the entry left the inbox (stored, or quarantined)
    WAIT = "wait"  # not yet: look again later


Handler = Callable[[Path, SettleTracker], Outcome]
GiveUp = Callable[[Path, BaseException], None]


@dataclass
class _Trouble:
    """An entry whose handling failed: when to look again, and since when it has been failing."""

    signature: Signature | None
    attempts: int = 0
    first_at: float = 0.0
    next_at: float = 0.0
    parked: bool = False


class _Wake(FileSystemEventHandler):
    """Marks the top-level inbox entry an event touched, and wakes the loop."""

    def __init__(self, inbox: Path, dirty: set[Path], wake: threading.Event, lock: threading.Lock) -> None:
        self.inbox, self.dirty, self.wake, self.lock = inbox, dirty, wake, lock

    def on_any_event(self, event: FileSystemEvent) -> None:
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if not raw:
                continue
            path = Path(os.fsdecode(raw))
            try:
                top = self.inbox / path.relative_to(self.inbox).parts[0]
            except (ValueError, IndexError):
                continue
            with self.lock:
                self.dirty.add(top)
        self.wake.set()


class InboxWatcher:
    """Finds complete entries in `inbox` and passes each to `handle` until `stop` is set."""

    def __init__(self, inbox: Path, *, settle_seconds: float = 2.0, poll_seconds: float = 0.0,
                 rescan_seconds: float = 30.0, grace_seconds: float | None = None,
                 max_attempts: int = 6, max_failing_seconds: float = 120.0, max_pause: float = 30.0) -> None:
        self.inbox = inbox
        self.tracker = SettleTracker(settle_seconds, grace_seconds)
        self.poll_seconds = poll_seconds
        self.rescan_seconds = rescan_seconds
        self.tick = min(max(settle_seconds / 4, 0.05), 0.5)
        self.max_attempts = max_attempts
        self.max_failing_seconds = max_failing_seconds
        self.max_pause = max_pause
        self._trouble: dict[Path, _Trouble] = {}
        self._waits: dict[Path, int] = {}
        self._wait_until: dict[Path, float] = {}
        self._inbox_error: str | None = None

    def entries(self) -> set[Path]:
        """Top-level files and folders that may be dossiers (temporary names excluded)."""
        try:
            with os.scandir(self.inbox) as it:
                found = {Path(e.path) for e in it if not is_temporary(e.name)}
        except OSError as error:
            if self._inbox_error != str(error):
                log.error("cannot list the inbox %s: %s; trying again", self.inbox, error)
                self._inbox_error = str(error)
            return set()
        self._inbox_error = None
        return found

    def run(self, handle: Handler, stop: threading.Event, give_up: GiveUp | None = None) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        dirty: set[Path] = set()
        lock, wake = threading.Lock(), threading.Event()
        observer = self._observer()
        observer.schedule(_Wake(self.inbox, dirty, wake, lock), str(self.inbox), recursive=False)
        observer.start()
        candidates = self.entries()
        last_rescan = time.monotonic()
        try:
            while not stop.is_set():
                with lock:
                    candidates |= {p for p in dirty if not is_temporary(p.name)}
                    dirty.clear()
                if time.monotonic() - last_rescan >= self.rescan_seconds:
                    candidates |= self.entries()
                    last_rescan = time.monotonic()
                candidates = self.check(candidates, handle, give_up)
                wake.wait(self.tick)
                wake.clear()
        finally:
            observer.stop()
            observer.join(timeout=5)

    def _observer(self) -> BaseObserver:
        """inotify, or polling with `lstat` (never following a link) on shares that send no events."""
        if self.poll_seconds:
            return PollingObserverVFS(os.lstat, os.scandir, polling_interval=self.poll_seconds)
        return Observer()

    def check(self, candidates: set[Path], handle: Handler, give_up: GiveUp | None = None) -> set[Path]:
        """Hand over the settled candidates; return those still to watch."""
        remaining = set()
        now = time.monotonic()
        for entry in sorted(candidates):
            stable = self.tracker.stable_for(entry)
            if stable is None:  # gone
                self._forget(entry)
                continue
            remaining.add(entry)
            trouble = self._trouble.get(entry)
            if trouble is not None:
                if trouble.signature != signature(entry):  # it changed: a fresh start
                    del self._trouble[entry]
                elif trouble.parked or now < trouble.next_at:
                    continue
            if stable < self.tracker.delay or now < self._wait_until.get(entry, 0.0):
                continue
            try:
                outcome = handle(entry, self.tracker)
            except Exception as error:  # one bad entry must never stop the watcher, nor spin it
                self._failed(entry, error, give_up)
                continue
            if outcome is Outcome.WAIT:
                self._wait(entry)
            else:
                remaining.discard(entry)
                self._forget(entry)
        return remaining

    def _wait(self, entry: Path) -> None:
        """An entry deferred by its handler (maybe still arriving): look again after a growing pause."""
        n = self._waits.get(entry, 0)
        self._waits[entry] = n + 1
        self._wait_until[entry] = time.monotonic() + min(self.tick * 2 ** n, 2.0)

    def _failed(self, entry: Path, error: BaseException, give_up: GiveUp | None) -> None:
        now = time.monotonic()
        trouble = self._trouble.setdefault(entry, _Trouble(signature(entry), first_at=now))
        trouble.attempts += 1
        if trouble.attempts == 1:
            log.error("could not take %r; will try again", entry.name, exc_info=error)
        exhausted = trouble.attempts >= self.max_attempts or now - trouble.first_at >= self.max_failing_seconds
        if exhausted and give_up is not None:
            try:
                give_up(entry, error)
                self._forget(entry)
                return
            except Exception as second:
                log.error("could not quarantine %r either (%s: %s); it stays in the inbox, untouched, "
                          "until it changes", entry.name, type(second).__name__, second)
                trouble.parked = True
                return
        trouble.next_at = now + min(2.0 ** (trouble.attempts - 1), self.max_pause)

    def _forget(self, entry: Path) -> None:
        self.tracker.forget(entry)
        self._trouble.pop(entry, None)
        self._waits.pop(entry, None)
        self._wait_until.pop(entry, None)
