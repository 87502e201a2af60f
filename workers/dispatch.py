"""Who runs the pipeline for this process: the inline runner (embedded) or rq (a province).

The CLI asks `make_runner` and gets an object with the inline runner's interface (`submit`,
`resume`, `wait`, `close`), so `sohoa run` and `sohoa ingest` read the same either way. With
`SOHOA_REDIS_URL` set, `submit` enqueues the dossier's next step and returns a future that
completes when the register shows the dossier finished (its `finish` step done) or failed, by
any worker, anywhere.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from storage.vocabulary import DossierState
from workers.digitize import PageProgress
from workers.pipeline import pending_step
from workers.queues import connect, enqueue_pending, sweep_forever
from workers.runner import DossierRunner
from workers.services import Services

log = logging.getLogger(__name__)


class RqRunner(DossierRunner):
    """Enqueues dossiers on rq and watches the register for them to finish."""

    def __init__(self, services: Services, poll: float = 0.5) -> None:
        if not services.settings.redis_url:
            raise ValueError("RqRunner needs SOHOA_REDIS_URL")
        super().__init__(services)
        self.poll = poll
        self.connection = connect(services.settings.redis_url)
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True, name="rq-finished")
        self._watcher.start()
        self._sweeper = threading.Thread(target=sweep_forever, daemon=True, name="rq-sweep",
                                         args=(services.settings.redis_url, services, self._stop))
        self._sweeper.start()

    def submit(self, dossier_id: int) -> Future[DossierState | None]:
        """Enqueue the dossier's next step. Redis being unreachable is not an error: the sweeper
        enqueues it once Redis is back. Anything else (a bug) is raised to the caller."""
        with self._lock:
            future = self._futures.get(dossier_id)
            if future is None:
                future = self._futures[dossier_id] = Future()
        try:
            enqueue_pending(self.connection, dossier_id, self.services)
        except (RedisConnectionError, RedisTimeoutError) as error:
            log.warning("dossier %s not enqueued yet (%s): the sweeper will", dossier_id, error)
        return future

    def _watch(self) -> None:
        while not self._stop.wait(self.poll):
            with self._lock:
                pending = list(self._futures.items())
            for dossier_id, future in pending:
                dossier = self.services.register.get(dossier_id)
                finished = dossier is None or dossier.state == DossierState.FAILED or pending_step(
                    dossier_id, self.services) is None
                if finished:
                    with self._lock:
                        self._futures.pop(dossier_id, None)
                    future.set_result(DossierState(dossier.state) if dossier else None)

    def close(self) -> None:
        self._stop.set()


def make_runner(services: Services, jobs: int, progress: PageProgress | None = None) -> DossierRunner:
    """rq when `SOHOA_REDIS_URL` is set, else the inline runner over a local process pool."""
    if services.settings.redis_url:
        return RqRunner(services)
    from workers.inline import InlineRunner

    return InlineRunner(services, jobs, progress=progress)
