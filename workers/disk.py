"""Is the disk full? Intake pauses on it, and a step a full disk stopped waits for space instead of failing.

Defined once for both: the receiver (which must not take what it cannot store) and the pipeline
(which must not mark a dossier failed for want of space that an admin will free).
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
import threading

from workers.services import Services

FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
SPACE_POLL_SECONDS = 2.0


def disk_full_reason(services: Services) -> str | None:
    """Why intake must pause for lack of space (home and its object store), or None when there is room."""
    settings = services.settings
    need = settings.min_free_mb * 2**20
    for folder in (settings.home, settings.objects, settings.work):
        probe = folder if folder.exists() else settings.home
        try:
            usage = shutil.disk_usage(probe)
        except OSError:
            continue
        if usage.free < need:
            return (f"the disk of {probe.resolve()} is full ({usage.free // 2**20} MB free, "
                    f"{settings.min_free_mb} MB needed): intake is paused until space is freed")
    return None


def is_disk_full(error: BaseException) -> bool:
    """ENOSPC/EDQUOT from the file system, or SQLite's "database or disk is full", anywhere in the chain."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in FULL_ERRNOS:
            return True
        if isinstance(seen, sqlite3.Error) and getattr(seen, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return False


def wait_for_space(services: Services, stop: threading.Event | None = None) -> bool:
    """Block until the disk has room again (True), or `stop` is set first (False)."""
    stop = stop or threading.Event()
    while disk_full_reason(services) is not None:
        if stop.wait(SPACE_POLL_SECONDS):
            return False
    return True
