"""The page processes: one per core, each with one Tesseract thread, replaced when one dies.

They start from a fork server, never by forking the caller: the caller has threads (the watcher,
dossiers, OpenCV's own pool after any image it read), and a child forked in the middle of one
can hang on a lock that thread held, as `sohoa ocr` once did in OpenCV. The fork server imports
the OCR stack (numpy, OpenCV, SciPy) once, so each page process starts in milliseconds; all of
them are started at once, before the first page is given.

Tesseract runs inside the page process (ocr/tesseract.py), so an engine that aborts on a page, or
the kernel killing a process that ran out of memory, takes a process down, and with it every page
then in flight. The pool then starts new processes, and each page that was lost is read again in
a process of its own: the pages that were only in the way come back, and the page that kills its
process fails alone, with a message that says so.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ocr.pages import PageImage
from ocr.recognize import OcrOptions, PageResult, recognize_page

log = logging.getLogger(__name__)


class PageCrashed(RuntimeError):
    """A page killed the process that read it, even alone."""


class PagePool:
    """`jobs` page processes, running and ready; `recognize` reads pages on them."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["ocr.recognize"])
        self._lock = threading.Lock()
        self._processes = self._start()

    def recognize(self, pages: Sequence[PageImage], options: OcrOptions) -> Iterator[PageResult]:
        """Every page, given to the processes now, then yielded in page order as each is read."""
        readings = [self._submit(page, options) for page in pages]
        return self._results(pages, readings, options)

    def _results(self, pages: Sequence[PageImage], readings: list[Future[PageResult]],
                 options: OcrOptions) -> Iterator[PageResult]:
        for page, future in zip(pages, readings, strict=True):
            try:
                yield future.result()
            except BrokenProcessPool:
                yield self._read_alone(page, options)

    def _submit(self, page: PageImage, options: OcrOptions) -> Future[PageResult]:
        """On the pool's processes; new ones first if one has died since the last page."""
        with self._lock:
            try:
                return self._processes.submit(recognize_page, page, options)
            except BrokenProcessPool:
                self._processes.shutdown(wait=False, cancel_futures=True)
                self._processes = self._start()
                return self._processes.submit(recognize_page, page, options)

    def _read_alone(self, page: PageImage, options: OcrOptions) -> PageResult:
        """A page whose process died, read again in a process of its own."""
        log.warning("a page process died while page %d was in it; reading that page again alone", page.number)
        with ProcessPoolExecutor(1, mp_context=self._context) as alone:
            try:
                return alone.submit(recognize_page, page, options).result()
            except BrokenProcessPool as error:
                raise PageCrashed(f"page {page.number} stopped the OCR engine's process; the scan may be damaged: "
                                  "scan the page again, or check the file opens in a viewer") from error

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._processes.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __enter__(self) -> PagePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _start(self) -> ProcessPoolExecutor:
        processes = ProcessPoolExecutor(self.jobs, mp_context=self._context)
        for future in [processes.submit(_ready) for _ in range(self.jobs)]:
            future.result()
        return processes


def _ready() -> None:
    """Nothing: given once to each page process at start, so that every process is spawned then."""
