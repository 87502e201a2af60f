"""The page processes: one per core, each with one Tesseract thread.

They start from a fork server, never by forking the caller: the caller has threads (the watcher,
dossiers, OpenCV's own pool after any image it read), and a child forked in the middle of one
can hang on a lock that thread held, as `sohoa ocr` once did in OpenCV. The fork server imports
the OCR stack (numpy, OpenCV, SciPy) once, so each page process starts in milliseconds; all of
them are started at once, before the first page is given.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor


def _start_page_process() -> None:
    """One Tesseract thread per process, and the OCR stack loaded before the first page arrives."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import ocr.recognize  # noqa: F401


def _ready() -> None:
    """Nothing: given once to each page process at start, so that every process is spawned then."""


def page_pool(jobs: int) -> ProcessPoolExecutor:
    """`jobs` page processes, running and ready."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ocr.recognize"])
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_page_process)
    for future in [pool.submit(_ready) for _ in range(jobs)]:
        future.result()
    return pool
