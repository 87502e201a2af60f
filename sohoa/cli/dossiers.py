"""Commands that read the register: status, show, search (they print; the register answers).

Heavy imports (the settings, the register, the catalog) are made inside each command, so that
`sohoa --help` and every other command start without them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer
from rich.table import Table

from sohoa.cli.output import JsonOption, actor, audit_read, console, fail, print_json


def status(json_out: bool = JsonOption) -> None:
    """Dossiers per pipeline state, the latest failures, quarantined files and rescan suggestions."""
    from settings import load_settings
    from sohoa.cli.distributed import print_queues, queue_status
    from storage.vocabulary import Action, DossierState
    from workers.disk import disk_full_reason
    from workers.services import Services

    settings = load_settings()
    services = Services(settings)
    register = services.register
    paused = disk_full_reason(services)
    by_state = {str(state): 0 for state in DossierState} | register.counts_by_state()
    failures = register.events(action=Action.FAILED, limit=5, newest_first=True)
    quarantined = register.events(action=Action.QUARANTINED, limit=5, newest_first=True)
    rescans = register.events(action=Action.RESCAN_SUGGESTED, limit=5, newest_first=True)
    report: dict[str, Any] = {
        "dossiers": sum(by_state.values()),
        "by_state": by_state,
        "quarantined": register.count_events(Action.QUARANTINED),
        "rescan_suggested": register.count_events(Action.RESCAN_SUGGESTED),
        "latest_failures": [{"dossier_id": e.dossier_id, "at": e.at, **(e.detail or {})} for e in failures],
        "latest_quarantined": [{"at": e.at, **(e.detail or {})} for e in quarantined],
        "latest_rescans": [{"dossier_id": e.dossier_id, "at": e.at, **(e.detail or {})} for e in rescans],
        "intake": {"paused": paused is not None, "reason": paused},
        "sync": register.outbox_counts(),  # the province hand-off's outbox (sohoa sync status)
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
    if paused:
        console.print(f"[bold red]intake paused:[/] {paused} / [bold red]tạm dừng nhận hồ sơ:[/] ổ đĩa đầy, "
                      "hãy giải phóng dung lượng; sohoa tự tiếp tục khi đủ chỗ")
    if "rq" in report:
        print_queues(report["rq"])
    sync = report["sync"]
    console.print(f"province hand-off: {sync['sent']} sent, {sync['pending'] + sync['sending']} to send, "
                  f"{sync['waiting']} waiting for a procedure"
                  + (f", [red]{sync['dead']} dead letters[/] (sohoa sync status)" if sync["dead"] else ""))
    for e in report["latest_failures"]:
        console.print(f"[red]failed[/] #{e['dossier_id']} at step {e.get('step')}: {e.get('error')}")
    for e in report["latest_quarantined"]:
        console.print(f"[yellow]quarantined[/] {e.get('name')!r}: {e.get('reason')}")
    for e in report["latest_rescans"]:
        console.print(f"[yellow]rescan[/] #{e['dossier_id']} page {e.get('page')}: {e.get('reason')}")


def _find(register: Any, ref: str) -> Any:
    """The dossier `ref` names (a number or a code), with its pages; a clear error when none does."""
    dossier = register.get(int(ref), with_pages=True) if ref.isdigit() else register.find_by_code(ref)
    if dossier is None:
        fail(f"no dossier {ref!r}", "give a dossier number or code as `sohoa search` or `sohoa status` shows")
    return register.get(dossier.id, with_pages=True)


def show(
    ref: str = typer.Argument(..., help="Dossier number or dossier code (mã hồ sơ)."),
    json_out: bool = JsonOption,
) -> None:
    """A dossier: code, state, files with SHA-256, pages with confidence, and its history."""
    from settings import load_settings
    from storage.audit import AuditAction
    from storage.vocabulary import Action
    from workers.services import Services

    register = Services(load_settings()).register
    dossier = _find(register, ref)
    register.add_event(dossier.id, actor(), Action.VIEWED, {"via": "cli show"})
    audit_read(register, AuditAction.VIEW, (dossier.id,), dossier.procedure_id, via="cli show")
    report: dict[str, Any] = {
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
    from settings import load_settings
    from storage.audit import AuditAction
    from storage.search import SearchFilters
    from storage.vocabulary import Action
    from vntext import fold
    from workers.catalog import CatalogUnavailable, current_catalog
    from workers.services import Services

    services = Services(load_settings())
    register = services.register
    in_field: tuple[str, ...] = ()
    if field:
        try:
            catalog = current_catalog(services.settings)
        except CatalogUnavailable as error:
            fail(str(error), error.hint)
        in_field = tuple(p.id for p in catalog if fold(field).lower() in fold(p.field).lower())
        if not in_field:
            fail(f"no procedure of the catalog is in a field like {field!r}", "see `sohoa procedures list`")
    filters = SearchFilters(procedure=procedure, procedures=in_field, state=state, received_from=received_from,
                            received_to=received_to, late=late)
    hits = register.search(query, filters=filters, limit=limit)
    register.add_event(None, actor(), Action.SEARCHED, {"query": query, "dossiers": [h.dossier_id for h in hits]})
    audit_read(register, AuditAction.SEARCH, [h.dossier_id for h in hits], procedure, via="cli search",
               query=query)
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
    app.command()(status)
    app.command()(show)
    app.command("search")(search_command)
