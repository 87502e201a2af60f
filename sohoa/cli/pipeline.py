"""Commands of the digitizing pipeline: run, ingest."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from settings import Settings, load_settings
from sohoa.cli.output import JsonOption, actor, console, fail, log_to_console, print_json
from storage.register import FAILED
from workers.classify import retrain, retrain_due
from workers.dispatch import make_runner
from workers.receive import Taken, receive
from workers.services import Services


def _settings(poll: float | None = None, settle: float | None = None, jobs: int | None = None) -> Settings:
    settings = load_settings()
    updates = {k: v for k, v in {"poll": poll, "settle_seconds": settle, "ocr_jobs": jobs}.items() if v is not None}
    return settings.model_copy(update=updates) if updates else settings


class PageBars:
    """One progress bar per dossier being digitized, removed when it is done."""

    def __init__(self, progress: Progress, names: dict[int, str]) -> None:
        self.progress, self.names = progress, names
        self.tasks: dict[int, Any] = {}
        self.lock = threading.Lock()

    def __call__(self, dossier_id: int, done: int, total: int) -> None:
        with self.lock:
            if dossier_id not in self.tasks:
                label = self.names.get(dossier_id, f"dossier {dossier_id}")
                self.tasks[dossier_id] = self.progress.add_task(label, total=total)
            self.progress.update(self.tasks[dossier_id], completed=done, total=total)

    def finish(self, dossier_id: int) -> None:
        with self.lock:
            if (task := self.tasks.pop(dossier_id, None)) is not None:
                self.progress.remove_task(task)


def _progress(disable: bool = False) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("pages"),
                    TimeElapsedColumn(), console=console, disable=disable, transient=True)


def run(
    poll: float = typer.Option(None, help="Poll the inbox every N seconds (SMB/NFS shares) instead of "
                               "inotify events. Default: SOHOA_POLL."),
    settle: float = typer.Option(None, help="Seconds a file must stay unchanged before it is taken."),
    jobs: int | None = typer.Option(None, help="OCR processes (default: one per core)."),
) -> None:
    """Watch the inbox and digitize every dossier dropped into it, until Ctrl-C."""
    from sohoa.filehost import start_handoff
    from workers.home_lock import HomeBusy, HomeLock
    from workers.inboxes import serve_inboxes

    settings = _settings(poll, settle, jobs)
    log_to_console(logging.WARNING)
    services = Services(settings)
    lock = HomeLock(settings.home)
    try:
        lock.acquire()
    except HomeBusy as busy:
        fail(str(busy), "`sohoa status` shows what the running one is doing")
    names: dict[int, str] = {}
    with _progress() as progress:
        bars = PageBars(progress, names)
        runner = make_runner(services, settings.jobs, progress=bars)
        console.print(f"[bold]sohoa[/] is watching [cyan]{settings.inbox.resolve()}[/]: drop scanned dossiers "
                      f"there (PDF, TIFF, JPEG, PNG; a file or a folder per dossier). Ctrl-C stops.")
        console.print(f"register: {settings.register_url} · objects: {settings.objects.resolve()} · "
                      f"{settings.jobs} OCR processes")
        console.print(f"results to sign: drop [cyan]<dossier code>.pdf[/] into {settings.results_inbox.resolve()}")
        from sohoa.cli.web import EmbeddedWeb, print_address

        web_server = EmbeddedWeb(services, runner.submit)
        print_address(services)
        resumed = runner.resume()
        if resumed:
            console.print(f"resuming {len(resumed)} unfinished dossier(s)")

        def when_done(dossier_id: int) -> None:
            bars.finish(dossier_id)
            dossier = services.register.get(dossier_id)
            if dossier is None:
                return
            colour = "red" if dossier.state == FAILED else "green"
            console.log(f"[{colour}]{dossier.state}[/] #{dossier.id} {dossier.source_name} "
                        f"({dossier.page_count or 0} pages{', ' + dossier.code if dossier.code else ''})")

        def submit(dossier_id: int) -> None:
            runner.submit(dossier_id).add_done_callback(lambda _f: when_done(dossier_id))

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        threading.Thread(target=_retrain_periodically, args=(services, stop), daemon=True).start()
        start_handoff(services, stop)  # the province hand-off, when SOHOA_PROVINCE_URL is set
        try:
            serve_inboxes(services, stop, submit=submit, report=lambda taken: _show_taken(taken, names),
                          report_result=_show_result)
        except KeyboardInterrupt:
            console.print("stopping: unfinished dossiers resume at the next start")
        finally:
            stop.set()
            web_server.close()
            runner.close()
            lock.release()


def _show_taken(taken: Taken, names: dict[int, str]) -> None:
    result = taken.received
    if result.quarantined_to is not None:
        console.log(f"[yellow]quarantined[/] {taken.name!r}: {result.reason}")
    elif result.dossier_id is not None:
        names[result.dossier_id] = taken.name
        if result.new:
            console.log(f"received #{result.dossier_id} {taken.name}")
        else:
            console.log(f"{taken.name} was already received as #{result.dossier_id}")


def _show_result(name: str, dossier_id: int | None) -> None:
    console.log(f"result {name!r} " + (f"attached to #{dossier_id}" if dossier_id else "quarantined"))


def _retrain_periodically(services: Services, stop: threading.Event, every: float = 600) -> None:
    """Retrain the classifier from new reviewer corrections, on the `retrain_hours` schedule."""
    while not stop.wait(every):
        if retrain_due(services):
            console.log(f"retrained the classifier on {retrain(services)} reviewed dossiers")


def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders, each one dossier.", readable=False),
    json_out: bool = JsonOption,
    jobs: int | None = typer.Option(None, help="OCR processes (default: one per core)."),
) -> None:
    """Digitize files or folders once, without watching, and exit when they are done.

    The sources are left where they are. One line (one JSON object with --json) per input, in the
    order given, whatever happens to the others. Exits 1 when any of them was refused or failed.
    """
    settings = _settings(jobs=jobs)
    services = Services(settings)
    outcomes: list[dict[str, Any]] = []
    with _progress(disable=json_out) as progress:
        names: dict[int, str] = {}
        runner = make_runner(services, settings.jobs, progress=PageBars(progress, names))
        try:
            for path in paths:
                outcome = _receive_one(path, services)
                outcomes.append(outcome)
                if outcome["dossier_id"] is not None:
                    names[outcome["dossier_id"]] = path.name
                    runner.submit(outcome["dossier_id"])
            runner.wait()
        finally:
            runner.close()
    for path, outcome in zip(paths, outcomes, strict=True):
        if outcome["dossier_id"] is not None:
            outcome |= _final_state(outcome["dossier_id"], services)
        if json_out:
            print_json(outcome)
        else:
            style = {"refused": "red", FAILED: "red"}.get(outcome["state"], "green")
            label = f"#{outcome['dossier_id']}" if outcome["dossier_id"] else "-"
            detail = outcome.get("error") or f"{outcome.get('pages') or 0} pages {outcome.get('code') or ''}"
            if outcome.get("error_vi"):
                detail += f" / {outcome['error_vi']}"
            console.print(f"[{style}]{outcome['state']:>12}[/] {label:>6} {path}  {detail}")
    if any(o["state"] in ("refused", FAILED) for o in outcomes):
        raise typer.Exit(1)


def _receive_one(path: Path, services: Services) -> dict[str, Any]:
    """Store one input, or say why not: never raises, so every input gets its line."""
    from ingest.rejection import unreadable

    outcome: dict[str, Any] = {"path": str(path), "dossier_id": None}
    try:
        result = receive(path, services, actor=actor(), remove_source=False)
    except Exception as error:  # the input cannot be read (missing, no permission): reported, the rest goes on
        rejected = unreadable(error)
        return outcome | {"state": "refused", "code": None, "refusal": str(rejected.code), "error": rejected.english,
                          "error_vi": rejected.vietnamese}
    if result.dossier_id is None:
        return outcome | {"state": "refused", "code": None, "refusal": result.refusal, "error": result.reason,
                          "error_vi": result.reason_vi}
    return outcome | {"dossier_id": result.dossier_id, "new": result.new}


def _final_state(dossier_id: int, services: Services) -> dict[str, Any]:
    dossier = services.register.get(dossier_id)
    if dossier is None:
        return {"state": FAILED, "error": f"dossier {dossier_id} vanished from the register"}
    final: dict[str, Any] = {"code": dossier.code, "state": dossier.state, "pages": dossier.page_count}
    if dossier.state == FAILED:
        failures = services.register.events(dossier.id, action="failed", limit=1, newest_first=True)
        final["error"] = failures[0].detail.get("error") if failures and failures[0].detail else None
    return final


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(ingest)

