"""Watching an inbox folder and handing over each settled entry exactly when it is complete.

watchdog's events only wake the loop early: the loop itself decides, from the files on disk, what
is there and whether it has settled. That way a missed event (inotify queue overflow, a share that
sends none) costs at most one rescan period, never a lost dossier. On SMB/NFS shares inotify
events never arrive, so `poll_seconds` switches watchdog to its polling observer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from enum import Enum
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from ingest.names import is_temporary
from ingest.settle import SettleTracker

log = logging.getLogger(__name__)


class Outcome(Enum):
    TAKEN = "taken"  # the entry left the inbox (stored, or quarantined)
    WAIT = "wait"  # not yet: look again later


Handler = Callable[[Path, SettleTracker], Outcome]


class _Wake(FileSystemEventHandler):
    """Marks the top-level inbox entry an event touched, and wakes the loop."""

    def __init__(self, inbox: Path, dirty: set[Path], wake: threading.Event, lock: threading.Lock) -> None:
        self.inbox, self.dirty, self.wake, self.lock = inbox, dirty, wake, lock

    def on_any_event(self, event: FileSystemEvent) -> None:
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if not raw:
                continue
            path = Path(str(raw))
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
                 rescan_seconds: float = 30.0) -> None:
        self.inbox = inbox
        self.tracker = SettleTracker(settle_seconds)
        self.poll_seconds = poll_seconds
        self.rescan_seconds = rescan_seconds
        self.tick = min(max(settle_seconds / 4, 0.05), 0.5)

    def entries(self) -> set[Path]:
        """Top-level files and folders that may be dossiers (temporary names excluded)."""
        return {p for p in self.inbox.iterdir() if not is_temporary(p.name)}

    def run(self, handle: Handler, stop: threading.Event) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        dirty: set[Path] = set()
        lock, wake = threading.Lock(), threading.Event()
        observer = PollingObserver(timeout=self.poll_seconds) if self.poll_seconds else Observer()
        observer.schedule(_Wake(self.inbox, dirty, wake, lock), str(self.inbox), recursive=True)
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
                candidates = self.check(candidates, handle)
                wake.wait(self.tick)
                wake.clear()
        finally:
            observer.stop()
            observer.join(timeout=5)

    def check(self, candidates: set[Path], handle: Handler) -> set[Path]:
        """Hand over the settled candidates; return those still to watch."""
        remaining = set()
        for entry in sorted(candidates):
            if not entry.exists():
                self.tracker.forget(entry)
                continue
            if not self.tracker.settled(entry):
                remaining.add(entry)
                continue
            try:
                outcome = handle(entry, self.tracker)
            except Exception:  # one bad entry must never stop the watcher
                log.exception("could not take %s; will try again", entry.name)
                outcome = Outcome.WAIT
            if outcome is Outcome.WAIT:
                remaining.add(entry)
            else:
                self.tracker.forget(entry)
        return remaining
