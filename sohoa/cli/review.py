"""Commands of reviewers: dossiers waiting for a person, filing them, retraining from the answers."""

from __future__ import annotations

import typer
from rich.table import Table

from sohoa.cli.output import JsonOption, actor, audit_read, console, fail, print_json


def review(
    dossier: int = typer.Argument(None, help="A dossier number to file; without it, list those waiting."),
    procedure: str = typer.Option(None, help="The procedure id to file the dossier under."),
    json_out: bool = JsonOption,
) -> None:
    """List dossiers waiting for review with their top-3 suggestions, or file one under a procedure."""
    from settings import load_settings
    from storage.audit import AuditAction
    from storage.vocabulary import Action, DossierState
    from workers.catalog import CatalogUnavailable, current_catalog
    from workers.classify import file_by_reviewer
    from workers.services import Services

    services = Services(load_settings())
    register = services.register
    if dossier is None:
        waiting = [d for i in register.dossier_ids(states=[DossierState.NEEDS_REVIEW]) if (d := register.get(i))]
        try:
            catalog = current_catalog(services.settings)
        except CatalogUnavailable as error:
            fail(str(error), error.hint)
        for d in waiting:
            register.add_event(d.id, actor(), Action.VIEWED, {"via": "cli review"})
        if waiting:
            audit_read(register, AuditAction.VIEW, [d.id for d in waiting], via="cli review")
        if json_out:
            for d in waiting:
                print_json({"dossier_id": d.id, "code": d.code, "source_name": d.source_name,
                            "suggestions": d.suggestions or []})
            return
        table = Table("dossier", "code", "source", "suggestions", title=f"{len(waiting)} dossiers to review")
        for d in waiting:
            hints = ", ".join(f"{s['procedure']} {(p.name if (p := catalog.get(s['procedure'])) else '')} "
                              f"({s['score']:.2f})" for s in d.suggestions or [])
            table.add_row(str(d.id), d.code or "", d.source_name, hints or "(nothing in the catalog fits)")
        console.print(table)
        return
    if not procedure:
        fail("say which procedure", f"sohoa review {dossier} --procedure ID (ids: sohoa procedures list)")
    try:
        filed = file_by_reviewer(dossier, procedure, actor(), services)
    except KeyError:
        fail(f"no procedure {procedure!r} in the catalog", "see `sohoa procedures list`")
    except LookupError:
        fail(f"no dossier {dossier}", "see `sohoa review` for the dossiers waiting")
    except CatalogUnavailable as error:
        fail(str(error), error.hint)
    if json_out:
        print_json({"dossier_id": filed.dossier_id, "procedure": filed.procedure, "due_at": filed.due_at})
    else:
        console.print(f"#{filed.dossier_id} filed under {filed.procedure}; due {filed.due_at:%Y-%m-%d %H:%M %z}")


def retrain_command(json_out: bool = JsonOption) -> None:
    """Train the classifier again from every reviewer's corrections, and use it from now on."""
    from settings import load_settings
    from workers.catalog import CatalogUnavailable
    from workers.classify import retrain
    from workers.services import Services

    try:
        examples = retrain(Services(load_settings()))
    except CatalogUnavailable as error:
        fail(str(error), error.hint)
    if json_out:
        print_json({"examples": examples})
    elif examples:
        console.print(f"trained on {examples} reviewed dossiers; new dossiers use the new model")
    else:
        console.print("no reviewed dossiers yet: the classifier keeps working from the catalog alone")


def register(app: typer.Typer) -> None:
    app.command()(review)
    app.command("retrain")(retrain_command)
