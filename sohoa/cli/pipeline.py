"""Commands of the digitizing pipeline: run, ingest."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.settle import SettleTracker
from ingest.watch import InboxWatcher, Outcome
from sohoa.cli.output import JsonOption, actor, console, print_json
from sohoa.settings import Settings, load_settings
from storage.register import FAILED
from workers.classify import retrain, retrain_due
from workers.dispatch import make_runner
from workers.receive import UNFINISHED_CODES, receive
from workers.results import receive_result
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
    settings = _settings(poll, settle, jobs)
    logging.basicConfig(level=logging.WARNING)
    services = Services(settings)
    for folder in (settings.inbox, settings.results_inbox, settings.quarantine, settings.done):
        folder.mkdir(parents=True, exist_ok=True)
    names: dict[int, str] = {}
    with _progress() as progress:
        bars = PageBars(progress, names)
        runner = make_runner(services, settings.jobs, progress=bars)
        console.print(f"[bold]sohoa[/] is watching [cyan]{settings.inbox.resolve()}[/]: drop scanned dossiers "
                      f"there (PDF, TIFF, JPEG, PNG; a file or a folder per dossier). Ctrl-C stops.")
        console.print(f"register: {settings.register_url} · objects: {settings.objects.resolve()} · "
                      f"{settings.jobs} OCR processes")
        console.print(f"results to sign: drop [cyan]<dossier code>.pdf[/] into {settings.results_inbox.resolve()}")
        from sohoa.cli.web import print_address, serve_in_thread

        web_server = serve_in_thread(services, runner.submit)
        print_address(services)
        resumed = runner.resume()
        if resumed:
            console.print(f"resuming {len(resumed)} unfinished dossier(s)")

        def when_done(dossier_id: int, future: Any) -> None:
            bars.finish(dossier_id)
            dossier = services.register.get(dossier_id)
            if dossier is None:
                return
            colour = "red" if dossier.state == FAILED else "green"
            console.log(f"[{colour}]{dossier.state}[/] #{dossier.id} {dossier.source_name} "
                        f"({dossier.page_count or 0} pages{', ' + dossier.code if dossier.code else ''})")

        def handle(entry: Path, tracker: SettleTracker) -> Outcome:
            result = receive(entry, services, actor="watcher", station=None,
                             defer=lambda r: r.code in UNFINISHED_CODES and not tracker.past_grace(entry))
            if result.deferred:
                return Outcome.WAIT
            if result.quarantined_to is not None:
                console.log(f"[yellow]quarantined[/] {entry.name}: {result.reason}")
            elif result.dossier_id is not None:
                names[result.dossier_id] = entry.name
                if result.new:
                    console.log(f"received #{result.dossier_id} {entry.name}")
                else:
                    console.log(f"{entry.name} was already received as #{result.dossier_id}")
                future = runner.submit(result.dossier_id)
                dossier_id = result.dossier_id
                future.add_done_callback(lambda f: when_done(dossier_id, f))
            return Outcome.TAKEN

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        threading.Thread(target=_retrain_periodically, args=(services, stop), daemon=True).start()
        watcher = InboxWatcher(settings.inbox, settle_seconds=settings.settle_seconds,
                               poll_seconds=settings.poll, rescan_seconds=settings.rescan_seconds)
        results = InboxWatcher(settings.results_inbox, settle_seconds=settings.settle_seconds,
                               poll_seconds=settings.poll, rescan_seconds=settings.rescan_seconds)

        def handle_result(entry: Path, _tracker: SettleTracker) -> Outcome:
            dossier_id = receive_result(entry, services)
            console.log(f"result {entry.name} " + (f"attached to #{dossier_id}" if dossier_id else "quarantined"))
            return Outcome.TAKEN

        threading.Thread(target=results.run, args=(handle_result, stop), daemon=True).start()
        try:
            watcher.run(handle, stop)
        except KeyboardInterrupt:
            console.print("stopping: unfinished dossiers resume at the next start")
        finally:
            web_server.should_exit = True
            runner.close()


def _retrain_periodically(services: Services, stop: threading.Event, every: float = 600) -> None:
    """Retrain the classifier from new reviewer corrections, on the `retrain_hours` schedule."""
    while not stop.wait(every):
        if retrain_due(services):
            console.log(f"retrained the classifier on {retrain(services)} reviewed dossiers")


def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders, each one dossier.", exists=True),
    json_out: bool = JsonOption,
    jobs: int | None = typer.Option(None, help="OCR processes (default: one per core)."),
) -> None:
    """Digitize files or folders once, without watching, and exit when they are done.

    The sources are left where they are. Exits 1 when any of them was refused or failed.
    """
    settings = _settings(jobs=jobs)
    services = Services(settings)
    outcomes: dict[Path, dict[str, Any]] = {}
    with _progress(disable=json_out) as progress:
        names: dict[int, str] = {}
        runner = make_runner(services, settings.jobs, progress=PageBars(progress, names))
        try:
            futures = {}
            for path in paths:
                result = receive(path, services, actor=actor(), remove_source=False)
                if result.dossier_id is None:
                    outcomes[path] = {"path": str(path), "dossier_id": None, "state": "refused",
                                      "error": result.reason}
                    continue
                names[result.dossier_id] = path.name
                outcomes[path] = {"path": str(path), "dossier_id": result.dossier_id, "new": result.new}
                futures[path] = runner.submit(result.dossier_id)
            for future in futures.values():
                future.exception()
        finally:
            runner.close()
    for path, outcome in outcomes.items():
        if outcome["dossier_id"] is not None:
            dossier = services.register.get(outcome["dossier_id"])
            assert dossier is not None
            outcome |= {"code": dossier.code, "state": dossier.state, "pages": dossier.page_count}
            if dossier.state == FAILED:
                failures = services.register.events(dossier.id, action="failed", limit=1, newest_first=True)
                outcome["error"] = failures[0].detail.get("error") if failures and failures[0].detail else None
        if json_out:
            print_json(outcome)
        else:
            style = {"refused": "red", FAILED: "red"}.get(outcome["state"], "green")
            label = f"#{outcome['dossier_id']}" if outcome["dossier_id"] else "-"
            detail = outcome.get("error") or f"{outcome.get('pages') or 0} pages {outcome.get('code') or ''}"
            console.print(f"[{style}]{outcome['state']:>12}[/] {label:>6} {path}  {detail}")
    if any(o["state"] in ("refused", FAILED) for o in outcomes.values()):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(ingest)

