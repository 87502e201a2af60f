"""Deciding when a dropped file or folder is complete.

A scanner or a copy over SMB writes a file in pieces; reading it early would store half a scan.
An entry is settled once its signature (size and mtime of every file in it, and the names in a
folder) has not changed for `delay` seconds. Network shares report mtimes coarsely and some copy
tools pause mid-file, so an entry that settled yet does not open as its type (a PDF without its
end, an image that does not decode) is given longer (`grace`) before it is called corrupt.

The signature is read with `lstat` and one bounded listing (ingest/entries.py): it never follows a
link and never raises for an entry that is there; an entry it cannot read gets a stable signature
saying so, and the handler's refusal or deferral takes it from there.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.entries import listing

Signature = tuple[tuple[str, int, int], ...]


def signature(entry: Path) -> Signature | None:
    """What changes while an entry is being written; None if it vanished meanwhile."""
    try:
        st = os.lstat(entry)
    except FileNotFoundError:
        return None
    except OSError as error:
        return ((f"!{type(error).__name__}", error.errno or 0, 0),)
    if not stat.S_ISDIR(st.st_mode):  # a file, a link (never followed) or a special file
        return ((entry.name, st.st_size, st.st_mtime_ns),)
    try:
        items = listing(entry)
        files = []
        for item in items:
            try:
                inner = item.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            files.append((item.name, inner.st_size, inner.st_mtime_ns))
    except FileNotFoundError:
        return None
    except OSError as error:
        return ((f"!{type(error).__name__}", error.errno or 0, 0),)
    return (*sorted(files), ("", len(files), st.st_mtime_ns))


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
