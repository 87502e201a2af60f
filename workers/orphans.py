"""Helper processes die with the process that started them, `kill -9` included.

When `sohoa run` is killed with SIGKILL it cannot stop anything: its fork server and page
processes would live on (each holding an OCR engine, ~340 MB in all), and so would the resource
tracker, which exits only once every one of them has closed its pipe. Linux can send a signal
to a process when its parent dies (`prctl(PR_SET_PDEATHSIG)`): the fork server asks for SIGKILL
when `sohoa run` dies, and each page process when the fork server dies, so the whole tree goes
with its root, and the resource tracker follows once their pipes close.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> None:
    """Ask the kernel for SIGKILL when this process's parent dies; exit now if it already has.

    `parent` is the pid the parent had when this process was started; the check after `prctl`
    closes the window in which the parent died before the request was made.
    """
    expected = parent if parent is not None else os.getppid()
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != expected:
        os._exit(1)
