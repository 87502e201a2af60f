"""Commands of the digitizing pipeline: run, ingest, status, show, search."""

from __future__ import annotations

import getpass
import logging
import signal
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.settle import SettleTracker
from ingest.watch import InboxWatcher, Outcome
from sohoa.cli.distributed import print_queues, queue_status
from sohoa.cli.output import JsonOption, console, fail, print_json
from sohoa.settings import Settings, load_settings
from storage.register import FAILED, STATES
from storage.search import SearchFilters, search
from vntext import fold
from workers.classify import current_catalog, retrain, retrain_due
from workers.dispatch import make_runner
from workers.receive import UNFINISHED_CODES, receive
from workers.results import receive_result
from workers.services import Services


def actor() -> str:
    """Who is at the keyboard, for the audit trail."""
    return f"cli:{getpass.getuser()}"


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
    jobs: int = typer.Option(None, help="OCR processes (default: one per core)."),
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
                future.add_done_callback(lambda f, d=result.dossier_id: when_done(d, f))
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
    jobs: int = typer.Option(None, help="OCR processes (default: one per core)."),
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


def status(json_out: bool = JsonOption) -> None:
    """Dossiers per pipeline state, the latest failures, quarantined files and rescan suggestions."""
    settings = load_settings()
    register = Services(settings).register
    by_state = {state: 0 for state in STATES} | register.counts_by_state()
    failures = register.events(action="failed", limit=5, newest_first=True)
    quarantined = register.events(action="quarantined", limit=5, newest_first=True)
    rescans = register.events(action="rescan_suggested", limit=5, newest_first=True)
    report = {
        "dossiers": sum(by_state.values()),
        "by_state": by_state,
        "quarantined": register.count_events("quarantined"),
        "rescan_suggested": register.count_events("rescan_suggested"),
        "latest_failures": [{"dossier_id": e.dossier_id, "at": e.at, **(e.detail or {})} for e in failures],
        "latest_quarantined": [{"at": e.at, **(e.detail or {})} for e in quarantined],
        "latest_rescans": [{"dossier_id": e.dossier_id, "at": e.at, **(e.detail or {})} for e in rescans],
    }
    if settings.redis_url:
        report["rq"] = queue_status(settings.redis_url)
    if json_out:
        print_json(report)
        return
    table = Table(title=f"{report['dossiers']} dossiers")
    table.add_column("state")
    table.add_column("dossiers", justify="right")
    for state, count in by_state.items():
        table.add_row(state, str(count))
    table.add_row("[yellow]quarantined files[/]", str(report["quarantined"]))
    table.add_row("[yellow]pages to rescan[/]", str(report["rescan_suggested"]))
    console.print(table)
    if "rq" in report:
        print_queues(report["rq"])
    for e in report["latest_failures"]:
        console.print(f"[red]failed[/] #{e['dossier_id']} at step {e.get('step')}: {e.get('error')}")
    for e in report["latest_quarantined"]:
        console.print(f"[yellow]quarantined[/] {e.get('name')!r}: {e.get('reason')}")
    for e in report["latest_rescans"]:
        console.print(f"[yellow]rescan[/] #{e['dossier_id']} page {e.get('page')}: {e.get('reason')}")


def _find(register: Any, ref: str) -> Any:
    dossier = register.get(int(ref), with_pages=True) if ref.isdigit() else register.find_by_code(ref)
    if dossier is None:
        fail(f"no dossier {ref!r}", "give a dossier number or code as `sohoa search` or `sohoa status` shows")
    return register.get(dossier.id, with_pages=True)


def show(
    ref: str = typer.Argument(..., help="Dossier number or dossier code (mã hồ sơ)."),
    json_out: bool = JsonOption,
) -> None:
    """A dossier: code, state, files with SHA-256, pages with confidence, and its history."""
    register = Services(load_settings()).register
    dossier = _find(register, ref)
    register.add_event(dossier.id, actor(), "viewed", {"via": "cli show"})
    report = {
        "id": dossier.id, "code": dossier.code, "source_name": dossier.source_name, "state": dossier.state,
        "legal_status": dossier.legal_status, "agency": dossier.agency, "received_at": dossier.received_at,
        "procedure": dossier.procedure_id, "procedure_confidence": dossier.procedure_confidence,
        "due_at": dossier.due_at, "page_count": dossier.page_count,
        "files": [{"role": f.role, "name": f.name, "sha256": f.sha256, "size": f.size, "media_type": f.media_type,
                   "key": f.object_key} for f in dossier.files],
        "pages": [{"number": p.number, "confidence": round(p.confidence, 1), "rotation": p.rotation,
                   "skew": round(p.skew, 2), "blank": p.blank, "rescan_reason": p.rescan_reason,
                   "chars": len(p.text)} for p in dossier.pages],
        "events": [{"at": e.at, "actor": e.actor, "action": e.action, "detail": e.detail}
                   for e in register.events(dossier.id)],
    }
    if json_out:
        print_json(report)
        return
    console.print(f"[bold]#{dossier.id}[/] {dossier.code or '(no code yet)'} · {dossier.state} · "
                  f"{dossier.source_name} · received {dossier.received_at:%Y-%m-%d %H:%M}")
    if dossier.procedure_id:
        console.print(f"procedure {dossier.procedure_id} ({dossier.procedure_confidence or 0:.2f})")
    files = Table("role", "name", "sha256", "bytes", title="files")
    for f in report["files"]:
        files.add_row(f["role"], f["name"], f["sha256"], str(f["size"]))
    console.print(files)
    pages = Table("page", "confidence", "rotation", "skew", "blank", "chars", "rescan", title="pages")
    for p in report["pages"]:
        pages.add_row(str(p["number"]), f"{p['confidence']:.1f}", str(p["rotation"]), f"{p['skew']:.2f}",
                      "yes" if p["blank"] else "", str(p["chars"]), p["rescan_reason"] or "")
    console.print(pages)
    events = Table("at", "who", "what", "detail", title="events")
    for e in report["events"]:
        events.add_row(f"{e['at']:%Y-%m-%d %H:%M:%S}", e["actor"], e["action"], str(e["detail"] or ""))
    console.print(events)


def search_command(
    query: str = typer.Argument(..., help='Words to find, with or without diacritics: "dang ky khai sinh".'),
    json_out: bool = JsonOption,
    limit: int = typer.Option(20, help="At most this many dossiers."),
    procedure: str = typer.Option(None, help="Only dossiers of this procedure id."),
    field: str = typer.Option(None, help='Only dossiers of this field (lĩnh vực), e.g. "ho tich".'),
    state: str = typer.Option(None, help="Only dossiers in this pipeline state."),
    received_from: datetime = typer.Option(None, "--from", help="Received on or after (YYYY-MM-DD)."),
    received_to: datetime = typer.Option(None, "--to", help="Received before (YYYY-MM-DD)."),
    late: bool = typer.Option(None, "--late/--on-time", help="Only dossiers past (or within) their due date."),
) -> None:
    """Find dossiers by their text and metadata, best first, with a highlighted snippet."""
    services = Services(load_settings())
    register = services.register
    in_field: tuple[str, ...] = ()
    if field:
        in_field = tuple(p.id for p in current_catalog(services) if fold(field).lower() in fold(p.field).lower())
        if not in_field:
            fail(f"no procedure of the catalog is in a field like {field!r}", "see `sohoa procedures list`")
    filters = SearchFilters(procedure=procedure, procedures=in_field, state=state, received_from=received_from,
                            received_to=received_to, late=late)
    with register.session() as session:
        hits = search(session, query, filters=filters, limit=limit)
    register.add_event(None, actor(), "searched", {"query": query, "dossiers": [h.dossier_id for h in hits]})
    if json_out:
        for h in hits:
            print_json({"dossier_id": h.dossier_id, "code": h.code, "procedure": h.procedure_id,
                        "score": h.score, "page": h.page, "snippet": h.snippet})
        return
    if not hits:
        console.print(f"no dossier matches {query!r}", style="yellow")
        return
    for h in hits:
        text = h.snippet.replace("[", r"\[").replace("<mark>", "[bold yellow]").replace("</mark>", "[/]")
        console.print(f"[bold]#{h.dossier_id}[/] {h.code or ''} [dim]score {h.score:.3f} · page {h.page}[/]")
        console.print(f"   {text}")


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(ingest)
    app.command()(status)
    app.command()(show)
    app.command("search")(search_command)

