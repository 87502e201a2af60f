"""Deciding when a dropped file or folder is complete.

A scanner or a copy over SMB writes a file in pieces; reading it early would store half a scan.
An entry is settled once its signature (size and mtime of every file in it, and the names in a
folder) has not changed for `delay` seconds. Network shares report mtimes coarsely and some copy
tools pause mid-file, so an entry that settled yet does not open as its type is given longer
(`grace`) before it is called corrupt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Signature = tuple[tuple[str, int, int], ...]


def signature(entry: Path) -> Signature | None:
    """What changes while an entry is being written; None if it vanished meanwhile."""
    try:
        if entry.is_dir():
            files = sorted(p for p in entry.rglob("*") if p.is_file())
            listing = ("", len(files), entry.stat().st_mtime_ns)
            return (*((p.name, (st := p.stat()).st_size, st.st_mtime_ns) for p in files), listing)
        st = entry.stat()
        return ((entry.name, st.st_size, st.st_mtime_ns),)
    except FileNotFoundError:
        return None


@dataclass
class _Seen:
    signature: Signature
    since: float


class SettleTracker:
    """Remembers each entry's last signature and since when it has held."""

    def __init__(self, delay: float, grace: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.delay = delay
        self.grace = grace if grace is not None else max(5 * delay, 10.0)
        self._clock = clock
        self._seen: dict[Path, _Seen] = {}

    def stable_for(self, entry: Path) -> float | None:
        """Seconds the entry has been unchanged (0 when it just changed); None when it is gone."""
        current = signature(entry)
        if current is None:
            self._seen.pop(entry, None)
            return None
        now = self._clock()
        seen = self._seen.get(entry)
        if seen is None or seen.signature != current:
            self._seen[entry] = _Seen(current, now)
            return 0.0
        return now - seen.since

    def settled(self, entry: Path) -> bool:
        """True once the entry has not changed for `delay` seconds."""
        stable = self.stable_for(entry)
        return stable is not None and stable >= self.delay

    def past_grace(self, entry: Path) -> bool:
        """True once an entry has been unchanged long enough to call an unreadable file corrupt."""
        stable = self.stable_for(entry)
        return stable is not None and stable >= self.grace

    def forget(self, entry: Path) -> None:
        self._seen.pop(entry, None)
