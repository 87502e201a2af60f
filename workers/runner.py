"""What every pipeline runner shares: one future per dossier in flight, resuming, waiting.

The inline runner (embedded mode) and the rq runner (a province) differ only in how a dossier is
started and when its future completes; `sohoa run` and `sohoa ingest` use either through this.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from concurrent.futures import Future

from storage.vocabulary import RESUMABLE, DossierState
from workers.services import Services


class DossierRunner(ABC):
    """Tracks the dossiers submitted and not yet finished; subclasses say how one is run."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._lock = threading.Lock()
        self._futures: dict[int, Future[DossierState | None]] = {}

    @abstractmethod
    def submit(self, dossier_id: int) -> Future[DossierState | None]:
        """Run the dossier's remaining steps; submitting it twice runs it once."""

    def resume(self) -> list[int]:
        """Pick up every dossier a previous run left unfinished."""
        ids = self.services.register.dossier_ids(states=RESUMABLE)
        for dossier_id in ids:
            self.submit(dossier_id)
        return ids

    def wait(self) -> None:
        """Block until every submitted dossier has finished."""
        while True:
            with self._lock:
                futures = list(self._futures.values())
            if not futures:
                return
            for future in futures:
                future.exception()

    @abstractmethod
    def close(self) -> None:
        """Release what the runner holds (processes, threads); unfinished work resumes next start."""
