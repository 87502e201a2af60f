"""Who runs the pipeline for this process: the inline runner (embedded) or rq (a province).

The CLI asks `make_runner` and gets an object with the inline runner's interface (`submit`,
`resume`, `wait`, `close`), so `sohoa run` and `sohoa ingest` read the same either way. With
`SOHOA_REDIS_URL` set, `submit` enqueues the dossier's next step and returns a future that
completes when the register shows the dossier finished (done by any worker, anywhere).
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future

from storage.register import DIGITIZED, FAILED, NEEDS_REVIEW
from workers.digitize import PageProgress
from workers.queues import connect, enqueue_pending, sweep_forever
from workers.runner import DossierRunner
from workers.services import Services

FINISHED = (DIGITIZED, NEEDS_REVIEW, FAILED)


class RqRunner(DossierRunner):
    """Enqueues dossiers on rq and watches the register for them to finish."""

    def __init__(self, services: Services, poll: float = 0.5) -> None:
        assert services.settings.redis_url, "RqRunner needs SOHOA_REDIS_URL"
        super().__init__(services)
        self.poll = poll
        self.connection = connect(services.settings.redis_url)
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True, name="rq-finished")
        self._watcher.start()
        self._sweeper = threading.Thread(target=sweep_forever, daemon=True, name="rq-sweep",
                                         args=(services.settings.redis_url, services, self._stop))
        self._sweeper.start()

    def submit(self, dossier_id: int) -> Future[str]:
        with self._lock:
            future = self._futures.get(dossier_id)
            if future is None:
                future = self._futures[dossier_id] = Future()
        with contextlib.suppress(Exception):  # Redis unreachable: the sweeper enqueues it when back
            enqueue_pending(self.connection, dossier_id, self.services)
        return future

    def _watch(self) -> None:
        while not self._stop.wait(self.poll):
            with self._lock:
                pending = list(self._futures.items())
            for dossier_id, future in pending:
                dossier = self.services.register.get(dossier_id)
                if dossier is not None and dossier.state in FINISHED:
                    with self._lock:
                        self._futures.pop(dossier_id, None)
                    future.set_result(dossier.state)

    def close(self) -> None:
        self._stop.set()


def make_runner(services: Services, jobs: int, progress: PageProgress | None = None) -> DossierRunner:
    """rq when `SOHOA_REDIS_URL` is set, else the inline runner over a local process pool."""
    if services.settings.redis_url:
        return RqRunner(services)
    from workers.inline import InlineRunner

    return InlineRunner(services, jobs, progress=progress)
