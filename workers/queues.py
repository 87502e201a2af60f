"""The pipeline over rq and Redis: one queue per stage, one job per (dossier, queue).

A job is a thin adapter over `workers.pipeline.advance`: it runs the dossier's pending steps that
belong to its queue (`index` and the cheap `finish` share one), then enqueues the job of the queue
of the next pending step. The register's step rows stay the one idempotency key and the one
definition of "finished", whoever runs the step: a job for a finished dossier does nothing.

Why each piece is there:
- Job ids are `<dossier>-<queue>` (`job_id`, read back by `parse_job_id`): enqueuing a job
  already queued, scheduled or running is a no-op, so the watcher, `sohoa retry` and the sweeper
  can all enqueue without coordinating.
- rq's `Retry` with backoff (`SOHOA_RETRY_INTERVALS`) handles transient failures; only after the
  last attempt is the dossier marked `failed` (earlier attempts leave it `digitizing` with a
  `retry_scheduled` event), for `sohoa retry`.
- A worker killed with `kill -9` (or a machine losing power) leaves its job "started" for as long
  as rq's own heartbeat allows (a minute or more). Every running job therefore holds a short
  lease key in Redis (`lease_key`), refreshed by a thread; `sweep` re-enqueues a started job whose
  lease has expired, and enqueues the pending step of every unfinished dossier without a live job
  (the job that finished a step may have died before enqueuing the next one, or Redis may have
  been down when the watcher received it). Every worker and the watcher run `sweep` every few
  seconds.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from redis import Redis
from rq import Queue, Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job as RqJob
from rq.job import JobStatus

from settings import Settings
from storage.vocabulary import RESUMABLE, Action, DossierState
from workers import metrics, pool
from workers.pipeline import QUEUES, Context, Outcome, StepFailed, advance, pending_step
from workers.services import Services, worker_services

log = logging.getLogger(__name__)

STAGES = QUEUES  # one rq queue per stage of the pipeline that has workers of its own
LEASE_SECONDS = 10
SECONDS_PER_PAGE = {"ocr": 60}  # generous: a slow page at 300 dpi takes ~3 s a core
BASE_TIMEOUT = 180


def connect(url: str) -> Redis:
    """A Redis connection that notices a restarted server quickly instead of hanging."""
    return Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=10,
                          retry_on_timeout=True)


def retry_policy(settings: Settings) -> Retry | None:
    """rq's retries of a failed job: one per `SOHOA_RETRY_INTERVALS` entry, waiting that many seconds."""
    intervals = settings.retry_intervals
    return Retry(max=len(intervals), interval=intervals) if intervals else None


def job_id(dossier_id: int, stage: str) -> str:
    """The rq job id of a dossier's stage: `<dossier>-<stage>`, read back by `parse_job_id`."""
    return f"{dossier_id}-{stage}"


def parse_job_id(jid: str) -> tuple[int, str]:
    """(dossier, stage) of a job id made by `job_id`."""
    dossier, stage = jid.rsplit("-", 1) if "-" in jid else ("", jid)
    if not dossier.isdigit() or stage not in STAGES:
        raise ValueError(f"not a sohoa job id: {jid!r}")
    return int(dossier), stage


def lease_key(jid: str) -> str:
    """The Redis key a running job holds while its worker lives."""
    return f"sohoa:lease:{jid}"


def queue_of(stage: str, connection: Redis) -> Queue:
    return Queue(stage, connection=connection)


def timeout_for(stage: str, pages: int | None) -> int:
    """Job timeout in seconds, growing with the dossier's pages (a 400-page land file is normal)."""
    return BASE_TIMEOUT + SECONDS_PER_PAGE.get(stage, 2) * max(pages or 1, 1)


def enqueue(connection: Redis, dossier_id: int, stage: str, settings: Settings, *,
            pages: int | None = None, force: bool = False) -> bool:
    """Queue the job of `stage` for the dossier unless it is already queued or running.

    `force` replaces a job that is live in rq's eyes but known dead (its lease expired). Returns
    whether a job was queued. A short Redis lock makes check-then-enqueue atomic across machines.
    """
    jid = job_id(dossier_id, stage)
    with connection.lock(f"sohoa:enqueue:{jid}", timeout=30, blocking_timeout=30):
        try:
            existing = RqJob.fetch(jid, connection=connection)
        except NoSuchJobError:
            existing = None
        if existing is not None:
            if not force and really_live(existing, stage, connection):
                return False
            existing.delete(remove_from_queue=True)
        queue_of(stage, connection).enqueue(
            run_stage, dossier_id, stage, job_id=jid, job_timeout=timeout_for(stage, pages),
            retry=retry_policy(settings), result_ttl=3600, failure_ttl=30 * 86400,
            description=f"dossier {dossier_id}: {stage}")
        return True


def really_live(job: RqJob, stage: str, connection: Redis) -> bool:
    """Whether a job will still run, not only says so.

    A Redis restart can leave a job's hash saying `queued` or `started` while it sits in no queue
    and no worker holds it; trusting the status alone would leave its dossier waiting forever.
    """
    status = job.get_status(refresh=True)
    queue = queue_of(stage, connection)
    if status == JobStatus.QUEUED:
        return connection.lpos(queue.key, job.id) is not None
    if status == JobStatus.STARTED:
        started = job.started_at.timestamp() if job.started_at else 0
        return bool(connection.exists(lease_key(job.id))) or time.time() - started < LEASE_SECONDS
    if status == JobStatus.SCHEDULED:
        return job.id in queue.scheduled_job_registry
    if status == JobStatus.DEFERRED:
        return job.id in queue.deferred_job_registry
    return False


def enqueue_pending(connection: Redis, dossier_id: int, services: Services, *, force: bool = False) -> bool:
    """Queue the job of the dossier's pending step (the resume point after any crash).

    A finished dossier has none: a re-drop, a retry or a sweep of it enqueues nothing.
    """
    step = pending_step(dossier_id, services)
    if step is None:
        return False
    dossier = services.register.get(dossier_id)
    return enqueue(connection, dossier_id, step.queue, services.settings,
                   pages=dossier.page_count if dossier else None, force=force)


# --- inside a worker ---
@cache
def worker_pages(jobs: int) -> pool.PagePool:
    """`jobs` page processes (one Tesseract thread each), started once and kept for the worker's life.

    Even with one core the pages run in a process of their own: Tesseract's engine runs inside
    the process that reads a page, and an engine that aborts must not take the worker with it.
    """
    return pool.PagePool(jobs)


@contextmanager
def lease(connection: Redis, jid: str) -> Iterator[None]:
    """Hold `sohoa:lease:<job id>` while the job runs; it lapses soon after the process dies."""
    key, stop = lease_key(jid), threading.Event()

    def renew() -> None:
        while not stop.wait(LEASE_SECONDS / 3):
            try:
                connection.set(key, os.getpid(), ex=LEASE_SECONDS)
            except Exception:  # Redis restarting: the sweeper waits for the lease to lapse
                log.warning("could not renew lease %s", key)

    connection.set(key, os.getpid(), ex=LEASE_SECONDS)
    thread = threading.Thread(target=renew, daemon=True, name=f"lease-{jid}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        try:
            connection.delete(key)
        except Exception:
            log.warning("could not release lease %s", key)


def run_stage(dossier_id: int, stage: str) -> str:
    """The rq job: advance the dossier through the steps of this queue, then enqueue the next queue's job."""
    services = worker_services()
    current = get_current_job()
    connection = current.connection if current else connect(services.settings.redis_url or "")
    ctx = Context(services=services, pages=worker_pages(services.settings.jobs))
    retries_left = (current.retries_left or 0) if current else 0
    dossier = services.register.get(dossier_id)
    if dossier is None:
        return "gone"
    outcome = Outcome(DossierState(dossier.state), None, pending_step(dossier_id, services))
    with lease(connection, job_id(dossier_id, stage)):
        while outcome.next is not None and outcome.next.queue == stage:
            started = time.perf_counter()
            try:
                outcome = advance(dossier_id, ctx, retries_left=retries_left)
            except StepFailed:
                metrics.FAILURES.labels(stage).inc()
                raise
            if outcome.ran is not None:
                metrics.STEP_SECONDS.labels(outcome.ran).observe(time.perf_counter() - started)
            if outcome.ran == "finish" and outcome.state is not None:
                metrics.DOSSIERS.labels(outcome.state).inc()
                finished = services.register.get(dossier_id)
                metrics.PAGES.inc((finished.page_count or 0) if finished else 0)
    if outcome.next is not None:
        enqueue(connection, dossier_id, outcome.next.queue, services.settings, pages=dossier.page_count)
        return "next:" + outcome.next.queue
    return str(outcome.state or "gone")  # finished (or the dossier vanished meanwhile)


# --- keeping the queues honest ---
@dataclass(frozen=True)
class SweepReport:
    requeued_abandoned: list[str]
    enqueued_pending: list[int]


def sweep(connection: Redis, services: Services) -> SweepReport:
    """Re-enqueue jobs whose worker died, and every unfinished dossier that has no live job."""
    abandoned: list[str] = []
    for stage in STAGES:
        registry = queue_of(stage, connection).started_job_registry
        for jid in registry.get_job_ids():
            if connection.exists(lease_key(jid)):
                continue
            try:
                job = RqJob.fetch(jid, connection=connection)
            except NoSuchJobError:
                continue
            started = job.started_at.timestamp() if job.started_at else 0
            if job.get_status() != JobStatus.STARTED or time.time() - started < LEASE_SECONDS:
                continue
            dossier_id, _ = parse_job_id(jid)
            step = pending_step(dossier_id, services)
            row = services.register.step(dossier_id, step.name) if step is not None else None
            if row is not None and row.attempts > len(services.settings.retry_intervals) + 1:
                services.register.update(dossier_id, state=DossierState.FAILED, event=(
                    "sweeper", Action.FAILED, {"step": row.name, "error": f"worker died {row.attempts} times"}))
                job.delete()
                continue
            services.register.add_event(dossier_id, "sweeper", Action.REQUEUED,
                                        {"step": stage, "reason": "its worker stopped"})
            if enqueue(connection, dossier_id, stage, services.settings, force=True):
                abandoned.append(jid)
    pending = []
    for dossier_id in services.register.dossier_ids(states=RESUMABLE):
        if enqueue_pending(connection, dossier_id, services):
            pending.append(dossier_id)
    from workers.sync import ensure_drain

    ensure_drain(connection, services.settings)  # the province hand-off's job on the `sync` queue
    return SweepReport(abandoned, pending)


def sweep_forever(url: str, services: Services, stop: threading.Event, every: float = 5.0) -> None:
    """`sweep` every few seconds until `stop`, riding out Redis restarts."""
    while not stop.wait(every):
        try:
            report = sweep(connect(url), services)
            if report.requeued_abandoned or report.enqueued_pending:
                log.warning("sweep: requeued %s, enqueued dossiers %s", report.requeued_abandoned,
                            report.enqueued_pending)
        except Exception as error:
            log.warning("sweep skipped: %s", error)


# --- overview for `sohoa status` ---
def queue_report(connection: Redis) -> dict[str, Any]:
    """Depths per queue, busy and idle workers, and the failed jobs, for `sohoa status`."""
    from rq import Worker

    queues = {}
    for stage in STAGES:
        q = queue_of(stage, connection)
        queues[stage] = {"queued": q.count, "running": q.started_job_registry.count,
                         "scheduled": q.scheduled_job_registry.count, "failed": q.failed_job_registry.count}
    workers = Worker.all(connection=connection)
    failed = []
    for stage in STAGES:
        registry = queue_of(stage, connection).failed_job_registry
        for jid in registry.get_job_ids()[:10]:
            failed.append({"job": jid, "queue": stage})
    return {"queues": queues,
            "workers": {"busy": sum(1 for w in workers if w.get_state() == "busy"),
                        "total": len(workers),
                        "names": sorted(w.name for w in workers)},
            "failed_jobs": failed}
