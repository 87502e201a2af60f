"""Commands of the distributed mode: watch, worker, retry (retry works embedded too).

The settings, the register and rq are imported inside the commands: `sohoa --help` starts without them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import typer
from rich.table import Table

from sohoa.cli.output import JsonOption, actor, console, fail, log_to_console, print_json


def watch(
    poll: float = typer.Option(None, help="Poll the inbox every N seconds (SMB/NFS shares)."),
    settle: float = typer.Option(None, help="Seconds a file must stay unchanged before it is taken."),
) -> None:
    """Watch the inbox and enqueue every received dossier for the workers (needs SOHOA_REDIS_URL).

    Runs no OCR itself: put it on the machine that sees the scanner share, and `sohoa worker` on
    the OCR machines. Originals go straight to the object store, so no shared folder is needed.
    """
    from settings import load_settings

    if not load_settings().redis_url:
        fail("sohoa watch needs SOHOA_REDIS_URL", "set it, or use `sohoa run` on a single machine")
    from sohoa.cli.pipeline import run

    run(poll=poll, settle=settle, jobs=None)


def worker(
    queue: list[str] = typer.Option(None, "--queue", "-q", help="Queues to take jobs from, in priority "
                                    "order (repeatable). Default: every stage."),
    metrics_port: int = typer.Option(None, help="Serve Prometheus metrics on this port."),
    burst: bool = typer.Option(False, help="Exit once the queues are empty (scripts, benchmarks)."),
    name: str = typer.Option(None, help="Worker name shown by `sohoa status` (default host.pid)."),
) -> None:
    """Run pipeline jobs from Redis until stopped; run as many as the OCR machines allow.

    Pages of one dossier run on one process per core (SOHOA_OCR_JOBS), one Tesseract thread each.
    A lost Redis connection is retried every few seconds, not fatal.
    """
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from rq import SimpleWorker

    from settings import load_settings
    from workers import metrics
    from workers.queues import STAGES, connect, queue_report, sweep_forever
    from workers.services import worker_services

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    log_to_console(logging.INFO, "%(asctime)s %(name)s %(message)s")
    settings = load_settings()
    if not settings.redis_url:
        fail("sohoa worker needs SOHOA_REDIS_URL", "set it to the Redis of the province, e.g. redis://host:6379/0")
    queues = list(queue or STAGES)
    unknown = [q for q in queues if q not in STAGES]
    if unknown:
        fail(f"unknown queue(s) {unknown}", f"choose among {', '.join(STAGES)}")
    if metrics_port:
        url = settings.redis_url
        metrics.serve(metrics_port, lambda: queue_report(connect(url)))
    stop = threading.Event()
    if not burst:
        threading.Thread(target=sweep_forever, args=(settings.redis_url, worker_services(), stop), daemon=True).start()
    console.print(f"sohoa worker on {', '.join(queues)} · {settings.jobs} page processes · {settings.redis_url}")
    try:
        while True:
            try:
                connection = connect(settings.redis_url)
                # SimpleWorker: jobs run in this process, so the page pool and the register's
                # connections are made once and reused by every job.
                rq_worker = SimpleWorker(queues, connection=connection, name=name and f"{name}.{os.getpid()}")
                rq_worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
                return
            except (RedisConnectionError, RedisTimeoutError) as error:
                console.print(f"[yellow]Redis unreachable ({error}); retrying in 2 s[/]")
                time.sleep(2)
    finally:
        stop.set()


def retry(
    ids: list[int] = typer.Argument(None, help="Dossier numbers to run again."),
    all_failed: bool = typer.Option(False, "--all-failed", help="Every dossier in state failed."),
    json_out: bool = JsonOption,
) -> None:
    """Put failed dossiers back in the pipeline: unfinished steps are forgotten and run again.

    With SOHOA_REDIS_URL the dossiers are enqueued for the workers; otherwise they run here.
    """
    from settings import load_settings
    from storage.vocabulary import DossierState
    from workers.dispatch import make_runner
    from workers.services import Services

    settings = load_settings()
    services = Services(settings)
    register = services.register
    targets = list(ids or [])
    if all_failed:
        targets += register.dossier_ids(states=[DossierState.FAILED])
    if not targets:
        fail("nothing to retry", "give dossier numbers or --all-failed")
    for dossier_id in targets:
        if register.get(dossier_id) is None:
            fail(f"no dossier {dossier_id}", "see `sohoa status`")
        register.reset_steps(dossier_id, actor=actor())
    runner = make_runner(services, settings.jobs)
    try:
        futures = {d: runner.submit(d) for d in dict.fromkeys(targets)}
        # with Redis, submit enqueued them (a failed job of the same id is replaced); else they ran here
        outcomes = ({d: "queued" for d in futures} if settings.redis_url
                    else {d: f.result() for d, f in futures.items()})
    finally:
        runner.close()
    for dossier_id, outcome in outcomes.items():
        if json_out:
            print_json({"dossier_id": dossier_id, "state": outcome})
        else:
            console.print(f"#{dossier_id}: {outcome}")


def queue_status(redis_url: str) -> dict[str, Any]:
    """Queue depths, workers and failed jobs for `sohoa status`; an error entry if Redis is down."""
    from workers.queues import connect, queue_report

    try:
        return queue_report(connect(redis_url))
    except Exception as error:
        return {"error": f"Redis unreachable: {error}"}


def print_queues(report: dict[str, Any]) -> None:
    if "error" in report:
        console.print(f"[red]{report['error']}[/]")
        return
    table = Table("queue", "waiting", "running", "scheduled retries", "failed", title="queues")
    for name, q in report["queues"].items():
        table.add_row(name, str(q["queued"]), str(q["running"]), str(q["scheduled"]), str(q["failed"]))
    console.print(table)
    workers = report["workers"]
    console.print(f"workers: {workers['busy']} busy of {workers['total']}")
    for job in report["failed_jobs"]:
        console.print(f"[red]failed job[/] {job['job']} on {job['queue']}: `sohoa retry` puts it back")


def register(app: typer.Typer) -> None:
    app.command()(watch)
    app.command()(worker)
    app.command()(retry)
