"""The embedded mode's executor: the pipeline in this process, pages on a local process pool.

Dossiers run on threads (they mostly wait for their pages); pages run on one process per core,
each with a single Tesseract thread. Several dossiers in flight keep every core busy while one of
them is split into pages or assembles its PDF.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from storage.vocabulary import DossierState
from workers.digitize import PageProgress
from workers.pipeline import Context, run_to_end
from workers.pool import PagePool
from workers.runner import DossierRunner
from workers.services import Services


class InlineRunner(DossierRunner):
    """Runs dossiers through `workers.pipeline.advance` on threads; `submit` twice for one dossier runs it once."""

    def __init__(self, services: Services, jobs: int, progress: PageProgress | None = None) -> None:
        super().__init__(services)
        self.pages = PagePool(jobs)
        # Enough dossiers in flight that the page pool never waits while one dossier is split,
        # assembled or indexed: small dossiers (2-3 pages) would otherwise leave cores idle.
        self.dossiers = ThreadPoolExecutor(max_workers=4 * jobs, thread_name_prefix="dossier")
        self.context = Context(services=services, pages=self.pages, progress=progress)

    def submit(self, dossier_id: int) -> Future[DossierState | None]:
        with self._lock:
            if dossier_id in self._futures:
                return self._futures[dossier_id]
            future = self.dossiers.submit(run_to_end, dossier_id, self.context)
            self._futures[dossier_id] = future
            future.add_done_callback(lambda _f: self._forget(dossier_id))
            return future

    def _forget(self, dossier_id: int) -> None:
        with self._lock:
            self._futures.pop(dossier_id, None)

    def close(self) -> None:
        self.context.stop.set()  # a dossier waiting for disk space stops waiting; it resumes next start
        self.dossiers.shutdown(wait=True, cancel_futures=True)
        self.pages.shutdown(wait=True, cancel_futures=True)
