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

Processes that die as they start (memory exhausted, a broken install) do not stop the caller:
starting is tried again with a growing pause, and the log says how they died. Every one of them
dies with the process that started the pool (workers/orphans.py), `kill -9` included.

Pages are handed over a few at a time (`ahead` beyond the one being waited for), taken from an
iterator: a dossier's pages are rasterized only as the processes get to them, so a 2,000-page
PDF never has 2,000 page images on disk at once.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ocr.pages import PageImage
from ocr.recognize import OcrOptions, PageResult, recognize_page
from workers.orphans import die_with_parent

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
START_PAUSES = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # seconds between attempts to start processes that die

Reading = tuple[Future[PageResult], ProcessPoolExecutor]


class PageFailed(RuntimeError):
    """A page could not be read: it killed its process even alone, or ran past its time."""


class PagePool:
    """`jobs` page processes, running and ready; `recognize` reads pages on them."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["workers.forkserver_preload", "ocr.recognize"])
        self._lock = threading.Lock()
        self._alone = threading.Semaphore(jobs)
        self._closed = False
        self._processes = self._start(jobs)

    def recognize(self, pages: Iterable[PageImage], options: OcrOptions, ahead: int | None = None
                  ) -> Iterator[PageResult]:
        """Every page, yielded in page order as each is read; at most `ahead` (default 2 per
        process) are handed over beyond the one being waited for, the first ones right now."""
        window = ahead or 2 * self.jobs
        source = iter(pages)
        queue: deque[tuple[PageImage, Reading]] = deque()
        self._fill(queue, source, window, options)
        return self._results(queue, source, window, options)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            self._processes.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __enter__(self) -> PagePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _fill(self, queue: deque[tuple[PageImage, Reading]], source: Iterator[PageImage], window: int,
              options: OcrOptions) -> None:
        while len(queue) < window and (page := next(source, None)) is not None:
            queue.append((page, self._submit(page, options)))

    def _results(self, queue: deque[tuple[PageImage, Reading]], source: Iterator[PageImage], window: int,
                 options: OcrOptions) -> Iterator[PageResult]:
        losses: dict[int, int] = {}
        while queue:
            page, reading = queue[0]
            try:
                result = _wait(reading, page, options)
            except BrokenProcessPool:
                losses[page.number] = losses.get(page.number, 0) + 1
                if losses[page.number] == 1:
                    log.warning("a page process died; giving the pages it took down to new processes")
                    for i, (other, other_reading) in enumerate(queue):
                        if _lost(other_reading):
                            queue[i] = (other, self._submit(other, options))
                    continue
                result = self._read_alone(page, options)
            queue.popleft()
            self._fill(queue, source, window, options)
            yield result

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
        return ProcessPoolExecutor(jobs, mp_context=self._context, initializer=_start_page_process)

    def _start(self, jobs: int) -> ProcessPoolExecutor:
        """`jobs` processes, every one spawned and answering before the first page is given.

        Processes that die as they start are started again after a growing pause, as long as the
        pool is open; each failure is logged with how the processes died.
        """
        attempt = 0
        while True:
            processes = self._executor(jobs)
            started: list[multiprocessing.process.BaseProcess] = []
            try:
                futures = [processes.submit(_ready) for _ in range(jobs)]
                started = list((processes._processes or {}).values())
                for future in futures:
                    future.result()
                if attempt:
                    log.warning("the page processes started at attempt %d", attempt + 1)
                return processes
            except BrokenProcessPool:
                how = _how_they_died(started)
                processes.shutdown(wait=False, cancel_futures=True)
            pause = START_PAUSES[min(attempt, len(START_PAUSES) - 1)]
            attempt += 1
            log.error("page processes die as they start (%s): is the machine out of memory? "
                      "Trying again in %.0f s", how, pause)
            time.sleep(pause)
            if self._closed:
                raise RuntimeError("the page processes were shut down while they could not start")


def _how_they_died(processes: list[multiprocessing.process.BaseProcess]) -> str:
    """The exit of the pool's processes, in words: a signal (SIGKILL is the OOM killer's) or a code."""
    ways = []
    for process in processes:
        process.join(timeout=1)
        code = process.exitcode
        if code is None:
            continue
        ways.append(f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}")
    return ", ".join(sorted(set(ways))) or "they vanished"


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


def _start_page_process() -> None:
    """Ctrl-C in the terminal reaches the page processes too: the main process decides what stops.
    And a page process never outlives the fork server, which never outlives `sohoa run`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()


def _ready() -> None:
    """Nothing: given once to each page process at start, so that every process is spawned then."""
