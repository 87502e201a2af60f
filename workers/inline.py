"""The embedded mode's executor: the pipeline in this process, pages on a local process pool.

Dossiers run on threads (they mostly wait for their pages); pages run on one process per core,
each with a single Tesseract thread. Several dossiers in flight keep every core busy while one of
them is split into pages or assembles its PDF.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

from workers.digitize import PageProgress
from workers.pipeline import Job, run_pipeline
from workers.runner import DossierRunner
from workers.services import Services


def _start_page_process() -> None:
    """One Tesseract thread per process, and the OCR stack loaded before the first page arrives."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import ocr.recognize  # noqa: F401


def _ready() -> None:
    """Nothing: submitted once per page process at start, so that every process is spawned then."""


class InlineRunner(DossierRunner):
    """Runs dossiers through the pipeline; `submit` twice for one dossier runs it once."""

    def __init__(self, services: Services, jobs: int, progress: PageProgress | None = None) -> None:
        super().__init__(services)
        # forkserver: the parent has threads (watcher, dossiers), which fork would copy half-way
        context = multiprocessing.get_context("forkserver")
        # the fork server imports the OCR stack (numpy, OpenCV, SciPy) once; each page process then
        # starts from it in milliseconds instead of importing it again while pages wait
        context.set_forkserver_preload(["ocr.recognize"])
        self.pages = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_page_process)
        for future in [self.pages.submit(_ready) for _ in range(jobs)]:
            future.result()
        # Enough dossiers in flight that the page pool never waits while one dossier is split,
        # assembled or indexed: small dossiers (2-3 pages) would otherwise leave cores idle.
        self.dossiers = ThreadPoolExecutor(max_workers=4 * jobs, thread_name_prefix="dossier")
        self.job = Job(services=services, executor=self.pages, progress=progress)

    def submit(self, dossier_id: int) -> Future[str]:
        with self._lock:
            if dossier_id in self._futures:
                return self._futures[dossier_id]
            future = self.dossiers.submit(run_pipeline, dossier_id, self.job)
            self._futures[dossier_id] = future
            future.add_done_callback(lambda _f: self._forget(dossier_id))
            return future

    def _forget(self, dossier_id: int) -> None:
        with self._lock:
            self._futures.pop(dossier_id, None)

    def close(self) -> None:
        self.dossiers.shutdown(wait=True, cancel_futures=True)
        self.pages.shutdown(wait=True, cancel_futures=True)
