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
from typing import Protocol

from storage.register import DIGITIZED, FAILED, NEEDS_REVIEW
from workers.digitize import PageProgress
from workers.services import Services

FINISHED = (DIGITIZED, NEEDS_REVIEW, FAILED)


class Runner(Protocol):
    def submit(self, dossier_id: int) -> Future[str]: ...
    def resume(self) -> list[int]: ...
    def wait(self) -> None: ...
    def close(self) -> None: ...


class RqRunner:
    """Enqueues dossiers on rq and watches the register for them to finish."""

    def __init__(self, services: Services, poll: float = 0.5) -> None:
        from workers.queues import connect, sweep_forever

        assert services.settings.redis_url, "RqRunner needs SOHOA_REDIS_URL"
        self.services, self.poll = services, poll
        self.connection = connect(services.settings.redis_url)
        self._futures: dict[int, Future[str]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True, name="rq-finished")
        self._watcher.start()
        self._sweeper = threading.Thread(target=sweep_forever, daemon=True, name="rq-sweep",
                                         args=(services.settings.redis_url, services, self._stop))
        self._sweeper.start()

    def submit(self, dossier_id: int) -> Future[str]:
        from workers.queues import enqueue_pending

        with self._lock:
            future = self._futures.get(dossier_id)
            if future is None:
                future = self._futures[dossier_id] = Future()
        with contextlib.suppress(Exception):  # Redis unreachable: the sweeper enqueues it when back
            enqueue_pending(self.connection, dossier_id, self.services)
        return future

    def resume(self) -> list[int]:
        from workers.pipeline import RESUMABLE

        ids = self.services.register.dossier_ids(states=RESUMABLE)
        for dossier_id in ids:
            self.submit(dossier_id)
        return ids

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

    def active(self) -> int:
        with self._lock:
            return len(self._futures)

    def wait(self) -> None:
        while True:
            with self._lock:
                futures = list(self._futures.values())
            if not futures:
                return
            for future in futures:
                future.exception()

    def close(self) -> None:
        self._stop.set()


def make_runner(services: Services, jobs: int, progress: PageProgress | None = None) -> Runner:
    """rq when `SOHOA_REDIS_URL` is set, else the inline runner over a local process pool."""
    if services.settings.redis_url:
        return RqRunner(services)
    from workers.inline import InlineRunner

    return InlineRunner(services, jobs, progress=progress)
