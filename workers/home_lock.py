"""One `sohoa run` (or `sohoa watch`) per home: a second one refuses to start, naming the first.

Two watchers on one inbox would both take the same files: nothing is duplicated (the register
finds the dossier by its fingerprint), but every such file gets a double `stored` event, false
`dropped_again` events and tracebacks. The lock is an `fcntl` lock on `<home>/sohoa.lock`, which
the kernel releases when the holder dies, `kill -9` included: a stale file never blocks a start.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType


class HomeBusy(RuntimeError):
    """Another process holds the home; the message says which, in English and Vietnamese."""

    def __init__(self, home: Path, pid: str) -> None:
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"{home.resolve()} is already used by sohoa ({who}, `sohoa run` or `sohoa watch`): stop it first, "
            f"or give this one another SOHOA_HOME. / Thư mục {home.resolve()} đang được sohoa dùng "
            f"(tiến trình {pid or '?'}): hãy dừng tiến trình đó trước, hoặc đặt SOHOA_HOME khác.")
        self.pid = pid


class HomeLock:
    """Held while the process runs; `with HomeLock(home):` raises `HomeBusy` when another holds it."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / "sohoa.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise HomeBusy(self.home, holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> HomeLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.release()
