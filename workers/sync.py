"""The sync worker: the outbox, sent to the provincial adapter in order per dossier, batched.

One round claims up to `SOHOA_PROVINCE_BATCH` messages (each the oldest unsent of its dossier, so
the order per dossier holds whichever worker sends), builds each dossier's whole record from the
message's snapshot, and sends inserts and updates as one `DongBoHoSoMC` call each, then the
processing steps as one `CapNhatTienDoHoSoMC`. What can go wrong, and what is done:

- **The adapter unreachable** (refused connection, time-out, HTTP 5xx): the messages go back
  untried, and rounds back off (doubling, up to `SOHOA_PROVINCE_MAX_BACKOFF`). No try is
  counted: a province offline for a day must not turn a day of dossiers into dead letters. The
  adapter may have applied a call whose answer was lost; sending the same snapshot again changes
  nothing there ("đã tồn tại" to an insert is answered by sending it as an update).
- **A call refused** (`error_code` not 0): the adapter takes a call's dossiers all or none, so the
  one at fault is found: by its code in the message, else by halving the batch. A message refused
  alone counts a try and waits `SOHOA_PROVINCE_RETRY_INTERVALS`; after the last it is a dead letter
  (shown by `sohoa status`, put back by `sohoa sync retry`), and its dossier's later messages wait.
- **The session expired**: the client logs in again and repeats the call (province/client.py).
- **A worker killed mid-batch**: its claims lapse after `SOHOA_PROVINCE_LEASE_SECONDS` and are
  claimed again.
It runs as a thread of `sohoa run` (embedded) or as the `sync` rq queue's job (a province).
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from province.client import AdapterConfig, Credentials, ProvinceClient, Refused, Unreachable
from province.payloads import Agency, ProcedureInfo, dossier_record, progress_step
from settings import Settings
from storage.outbox import Claimed
from workers.catalog import current_catalog
from workers.links import file_link, link_signer
from workers.services import Services, worker_services

log = logging.getLogger(__name__)
DRAIN_JOB_ID = "sync-drain"
_SERIAL = itertools.count(1)


class SyncNotConfigured(Exception):
    """`SOHOA_PROVINCE_URL` (or its credentials) is missing; the message says what to set."""


def adapter_config(settings: Settings) -> AdapterConfig:
    if not settings.province_url:
        raise SyncNotConfigured("SOHOA_PROVINCE_URL is not set: messages stay in the outbox")
    path = settings.province_credentials_file
    if path is None or not path.is_file():
        raise SyncNotConfigured(f"SOHOA_PROVINCE_CREDENTIALS_FILE ({path}) is not a readable file")
    return AdapterConfig(base_url=settings.province_url, madonvi=settings.province_madonvi or settings.agency,
                         credentials=Credentials.parse(path.read_text(encoding="utf-8")),
                         auth_path=settings.province_auth_path, service_path=settings.province_service_path,
                         auth=settings.province_auth, token_path=settings.province_token_path,
                         timeout=settings.province_timeout)


@dataclass
class Item:
    message: Claimed
    record: dict[str, Any]
    step: dict[str, Any]


@dataclass
class RoundReport:
    claimed: int = 0
    sent: int = 0
    refused: int = 0
    dead: int = 0
    unreachable: str | None = None
    finished: set[int] = field(default_factory=set)


class SyncWorker:
    """Sends the outbox; `round()` once, `run(stop)` until stopped. One client, re-used."""

    def __init__(self, services: Services, client: ProvinceClient | None = None, name: str | None = None) -> None:
        self.services = services
        self.settings = services.settings
        self.client = client or ProvinceClient(adapter_config(self.settings))
        self.link = file_link(self.settings, link_signer(self.settings))
        self.agency = Agency(self.settings.province_madonvi or self.settings.agency, self.settings.agency_name)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{next(_SERIAL)}"
        self.backoff = 0.0

    # --- one round ---
    def round(self) -> RoundReport:
        register = self.services.register
        claimed = register.claim_outbox(limit=self.settings.province_batch, worker=self.name,
                                        lease_seconds=self.settings.province_lease_seconds)
        report = RoundReport(claimed=len(claimed))
        if not claimed:
            return report
        items = self._prepare(claimed, report)
        try:
            self._deliver([i for i in items if not i.message.known], False, report)
            self._deliver([i for i in items if i.message.known], True, report)
            self.backoff = 0.0
        except Unreachable as error:
            self.backoff = min(self.settings.province_max_backoff, max(1.0, self.backoff * 2))
            report.unreachable = str(error)
            left = [c.id for c in claimed if c.id not in report.finished]
            register.outbox_release(left, worker=self.name, delay=self.backoff, error=str(error))
            log.warning("province unreachable (%s): %d messages wait %.0f s", error, len(left), self.backoff)
        return report

    def _prepare(self, claimed: Sequence[Claimed], report: RoundReport) -> list[Item]:
        catalog = current_catalog(self.services.settings)
        items = []
        for message in claimed:
            procedure = catalog.get(message.facts["procedure_id"])
            if procedure is None:
                self._refuse(message, f"procedure {message.facts['procedure_id']} is not in the catalog", report)
                continue
            info = ProcedureInfo(procedure.id, procedure.name, procedure.field, procedure.result)
            items.append(Item(message, dossier_record(message.facts, info, self.agency, self.link),
                              progress_step(message.facts, message.kind, self.agency)))
        return items

    def _deliver(self, items: list[Item], updating: bool, report: RoundReport, *, flipped: bool = False) -> None:
        """Send `items` in one call; on a refusal find the one at fault and send the others again."""
        if not items:
            return
        try:
            self.client.sync([i.record for i in items], updating=updating)
            self.client.progress([i.step for i in items])
        except Refused as refused:
            if len(items) == 1:
                self._refused_alone(items[0], updating, refused, report)
                return
            named = [i for i in items if i.record["MaHoSo"] in refused.message]
            if len(named) == 1 and not (refused.already_exists or refused.missing):
                self._refuse(named[0].message, refused.message, report)
                self._deliver([i for i in items if i is not named[0]], updating, report)
                return
            if len(named) == 1 and not flipped:
                # A batch the portal applied but whose answer was lost (a time-out) comes back as
                # "đã tồn tại" for its first dossier: the others are very likely there too.
                self._deliver(items, not updating, report, flipped=True)
                return
            if len(named) == 1:  # a mixed batch: that dossier the other way, the rest as they were
                self._deliver(named, not updating, report, flipped=True)
                self._deliver([i for i in items if i is not named[0]], updating, report, flipped=True)
                return
            half = len(items) // 2
            self._deliver(items[:half], updating, report)
            self._deliver(items[half:], updating, report)
            return
        ids = [i.message.id for i in items]
        report.sent += self.services.register.outbox_sent(ids, worker=self.name)
        report.finished.update(ids)

    def _refused_alone(self, item: Item, updating: bool, refused: Refused, report: RoundReport) -> None:
        if (not updating and refused.already_exists) or (updating and refused.missing):
            try:  # an insert whose answer was lost earlier, or a dossier the portal lost: the other way
                self.client.sync([item.record], updating=not updating)
                self.client.progress([item.step])
            except Refused as again:
                self._refuse(item.message, again.message, report)
                return
            report.sent += self.services.register.outbox_sent([item.message.id], worker=self.name)
            report.finished.add(item.message.id)
            return
        self._refuse(item.message, refused.message, report)

    def _refuse(self, message: Claimed, error: str, report: RoundReport) -> None:
        intervals = self.settings.province_retry_intervals
        retry_in = float(intervals[message.attempts]) if message.attempts < len(intervals) else None
        state = self.services.register.outbox_refused(message.id, worker=self.name, error=error, retry_in=retry_in)
        report.refused += 1
        report.dead += state == "dead"
        report.finished.add(message.id)
        log.warning("province refused message %d (dossier %d): %s", message.id, message.dossier_id, error)

    # --- loops ---
    def drain(self, *, budget: float | None = None) -> RoundReport:
        """Rounds until nothing is due (or the adapter is unreachable, or `budget` seconds passed)."""
        total = RoundReport()
        started = time.monotonic()
        while budget is None or time.monotonic() - started < budget:
            report = self.round()
            total.claimed += report.claimed
            total.sent += report.sent
            total.refused += report.refused
            total.dead += report.dead
            if report.unreachable or not report.claimed:
                total.unreachable = report.unreachable
                break
        return total

    def run(self, stop: threading.Event) -> None:
        """Send until `stop`: rest `SOHOA_PROVINCE_POLL` when the outbox is empty, back off when down."""
        while not stop.is_set():
            try:
                report = self.round()
            except Exception:  # the register briefly unavailable: keep the thread alive
                log.exception("sync round failed")
                report = RoundReport(unreachable="error")
                self.backoff = min(self.settings.province_max_backoff, max(1.0, self.backoff * 2))
            if report.unreachable:
                stop.wait(self.backoff)
            elif not report.claimed:
                stop.wait(self.settings.province_poll)


def start_sync_threads(services: Services, stop: threading.Event) -> list[threading.Thread]:
    """`SOHOA_PROVINCE_WORKERS` sync workers as daemon threads (none when not configured).

    Claims keep them from sending the same message or a dossier's messages out of order, so a
    second one only fills the time the first spends waiting for an answer.
    """
    try:
        workers = [SyncWorker(services) for _ in range(services.settings.province_workers)]
    except SyncNotConfigured as reason:
        log.info("hand-off to the province off: %s", reason)
        return []
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True, name=f"province-sync-{n}")
               for n, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    return threads


# --- the `sync` rq queue (a province) ---
def sync_job() -> str:
    """The rq job: drain the outbox for up to a minute, then queue the next drain after the poll time."""
    from rq import get_current_job

    services = worker_services()
    report = _rq_worker(services).drain(budget=60.0)
    current = get_current_job()
    if current is not None:
        from datetime import timedelta

        from rq import Queue

        wait = services.settings.province_poll if not report.unreachable else max(5.0, services.settings.province_poll)
        Queue("sync", connection=current.connection).enqueue_in(
            timedelta(seconds=wait), sync_job, job_id=f"{DRAIN_JOB_ID}-{time.time_ns()}",
            result_ttl=60, failure_ttl=86400, description="province hand-off: drain the outbox")
    return f"sent {report.sent}, refused {report.refused}, dead {report.dead}"


_RQ_WORKERS: dict[int, SyncWorker] = {}


def _rq_worker(services: Services) -> SyncWorker:
    """One SyncWorker (and its logged-in client) per rq worker process."""
    key = id(services)
    if key not in _RQ_WORKERS:
        _RQ_WORKERS[key] = SyncWorker(services)
    return _RQ_WORKERS[key]


def ensure_drain(connection: Any, settings: Settings) -> bool:
    """Queue a drain job unless one is queued, scheduled or running (called by the sweeper)."""
    if not settings.province_url:
        return False
    from rq import Queue

    queue = Queue("sync", connection=connection)
    if queue.count or queue.scheduled_job_registry.count or queue.started_job_registry.count:
        return False
    queue.enqueue(sync_job, job_id=f"{DRAIN_JOB_ID}-{time.time_ns()}", result_ttl=60, failure_ttl=86400,
                  description="province hand-off: drain the outbox")
    return True
