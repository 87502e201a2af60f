"""The page processes: one per core, each with one Tesseract thread, replaced when one dies.

They start from a fork server, never by forking the caller: the caller has threads (the watcher,
dossiers, OpenCV's own pool after any image it read), and a child forked in the middle of one
can hang on a lock that thread held, as `sohoa ocr` once did in OpenCV. The fork server imports
the OCR stack (numpy, OpenCV, SciPy) once, so each page process starts in milliseconds; all of
them are started at once, before the first page is given.

Tesseract runs inside the page process (ocr/tesseract.py), so an engine that aborts on a page, or
the kernel killing a process that ran out of memory, takes a process down, and with it every page
then given to the pool, queued or being read. The pool then starts new processes and the lost
pages go to them once more; a page lost a second time is read in a process of its own (at most
one per core at a time), so the page that kills its process fails alone, with a message that says
so. A page still running after its time is up is stopped the same way: its processes are killed.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ocr.pages import PageImage
from ocr.recognize import OcrOptions, PageResult, recognize_page

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0

Reading = tuple[Future[PageResult], ProcessPoolExecutor]


class PageFailed(RuntimeError):
    """A page could not be read: it killed its process even alone, or ran past its time."""


class PagePool:
    """`jobs` page processes, running and ready; `recognize` reads pages on them."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["ocr.recognize"])
        self._lock = threading.Lock()
        self._alone = threading.Semaphore(jobs)
        self._closed = False
        self._processes = self._start(jobs)

    def recognize(self, pages: Sequence[PageImage], options: OcrOptions) -> Iterator[PageResult]:
        """Every page, given to the processes now, then yielded in page order as each is read."""
        readings = [self._submit(page, options) for page in pages]
        return self._results(pages, readings, options)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            self._processes.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __enter__(self) -> PagePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _results(self, pages: Sequence[PageImage], readings: list[Reading],
                 options: OcrOptions) -> Iterator[PageResult]:
        losses = [0] * len(pages)
        for i, page in enumerate(pages):
            while True:
                try:
                    yield _wait(readings[i], page, options)
                    break
                except BrokenProcessPool:
                    losses[i] += 1
                    if losses[i] > 1:
                        yield self._read_alone(page, options)
                        break
                    log.warning("a page process died; giving the pages it took down to new processes")
                    readings[i:] = [self._submit(p, options) if _lost(r) else r
                                    for p, r in zip(pages[i:], readings[i:], strict=True)]

    def _submit(self, page: PageImage, options: OcrOptions) -> Reading:
        """On the pool's processes; new ones first if one has died since the last page."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the page processes were shut down")
            try:
                return self._processes.submit(recognize_page, page, options), self._processes
            except BrokenProcessPool:
                self._processes.shutdown(wait=False, cancel_futures=True)
                self._processes = self._start(self.jobs)
                return self._processes.submit(recognize_page, page, options), self._processes

    def _read_alone(self, page: PageImage, options: OcrOptions) -> PageResult:
        """A page lost twice with its process, read in a process of its own."""
        log.warning("page %d was lost twice with its process; reading it alone", page.number)
        with self._alone, self._executor(1) as alone:
            try:
                return _wait((alone.submit(recognize_page, page, options), alone), page, options)
            except BrokenProcessPool as error:
                raise PageFailed(f"page {page.number} stopped the OCR engine's process; the scan may be "
                                 "damaged: scan the page again, or check the file opens in a viewer") from error

    def _executor(self, jobs: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(jobs, mp_context=self._context, initializer=_ignore_interrupts)

    def _start(self, jobs: int) -> ProcessPoolExecutor:
        """`jobs` processes, every one spawned and answering before the first page is given."""
        processes = self._executor(jobs)
        try:
            for future in [processes.submit(_ready) for _ in range(jobs)]:
                future.result()
        except BrokenProcessPool as error:
            processes.shutdown(wait=False, cancel_futures=True)
            raise RuntimeError("page processes die as they start: is the machine out of memory?") from error
        return processes


def _wait(reading: Reading, page: PageImage, options: OcrOptions) -> PageResult:
    """The page's result; running past `options.timeout`, its processes are killed and PageFailed raised.

    Tesseract stops a recognition at that limit itself, but not its layout analysis, orientation
    check or text layer, and nothing else of a page's preparation: this is the limit of last resort.
    """
    future, processes = reading
    limit = options.timeout
    running_since = None
    while True:
        try:
            return future.result(timeout=POLL_SECONDS)
        except TimeoutError:
            if future.running():
                running_since = running_since or time.monotonic()
                if time.monotonic() - running_since > limit:
                    _kill(processes)
                    raise PageFailed(f"page {page.number} was still being read after {limit:.0f} s and was "
                                     "stopped: check the scan, or raise the OCR time limit") from None


def _lost(reading: Reading) -> bool:
    future, _ = reading
    return future.done() and isinstance(future.exception(), BrokenProcessPool)


def _kill(processes: ProcessPoolExecutor) -> None:
    """Kill a pool's processes (ProcessPoolExecutor has no public way before Python 3.14): the pool
    breaks, and its other pages are given to new processes."""
    for process in list(processes._processes.values()):
        process.kill()


def _ignore_interrupts() -> None:
    """Ctrl-C in the terminal reaches the page processes too; the main process decides what stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ready() -> None:
    """Nothing: given once to each page process at start, so that every process is spawned then."""
