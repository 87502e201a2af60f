"""The embedded mode's executor: the pipeline in this process, pages on a local process pool.

Dossiers run on threads (they mostly wait for their pages); pages run on one process per core,
each with a single Tesseract thread. Several dossiers in flight keep every core busy while one of
them is split into pages or assembles its PDF.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor

from workers.digitize import PageProgress
from workers.pipeline import RESUMABLE, Job, run_pipeline
from workers.services import Services


def _one_thread_per_process() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"


class InlineRunner:
    """Runs dossiers through the pipeline; `submit` twice for one dossier runs it once."""

    def __init__(self, services: Services, jobs: int, progress: PageProgress | None = None) -> None:
        self.services = services
        # forkserver: the parent has threads (watcher, dossiers), which fork would copy half-way
        context = multiprocessing.get_context("forkserver")
        self.pages = ProcessPoolExecutor(jobs, mp_context=context, initializer=_one_thread_per_process)
        # Enough dossiers in flight that the page pool never waits while one dossier is split,
        # assembled or indexed: small dossiers (2-3 pages) would otherwise leave cores idle.
        self.dossiers = ThreadPoolExecutor(max_workers=4 * jobs, thread_name_prefix="dossier")
        self.job = Job(services=services, executor=self.pages, progress=progress)
        self._lock = threading.Lock()
        self._active: dict[int, Future[str]] = {}

    def submit(self, dossier_id: int) -> Future[str]:
        with self._lock:
            if dossier_id in self._active:
                return self._active[dossier_id]
            future = self.dossiers.submit(run_pipeline, dossier_id, self.job)
            self._active[dossier_id] = future
            future.add_done_callback(lambda _f: self._forget(dossier_id))
            return future

    def _forget(self, dossier_id: int) -> None:
        with self._lock:
            self._active.pop(dossier_id, None)

    def resume(self) -> list[int]:
        """Pick up every dossier a previous run left unfinished."""
        ids = self.services.register.dossier_ids(states=RESUMABLE)
        for dossier_id in ids:
            self.submit(dossier_id)
        return ids

    def active(self) -> int:
        with self._lock:
            return len(self._active)

    def wait(self) -> None:
        """Block until every submitted dossier has finished."""
        while True:
            with self._lock:
                futures = list(self._active.values())
            if not futures:
                return
            for future in futures:
                future.exception()

    def close(self) -> None:
        self.dossiers.shutdown(wait=True, cancel_futures=True)
        self.pages.shutdown(wait=True, cancel_futures=True)
