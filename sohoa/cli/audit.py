"""`sohoa audit verify|export`: the personal-data audit trail for admins and inspectors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sohoa.cli.output import JsonOption, console, fail, print_json

if TYPE_CHECKING:
    from storage.audit import Audit

audit_app = typer.Typer(help="The audit trail of every read of personal data.", no_args_is_help=True)


def _audit() -> Audit:
    from settings import load_settings
    from storage.audit import Audit
    from workers.services import Services

    return Audit(Services(load_settings()).register)


@audit_app.command("verify")
def verify(json_out: bool = JsonOption) -> None:
    """Walk the hash chain from the first row; exit 1 naming the first row that was changed or removed."""
    check = _audit().verify()
    if json_out:
        print_json({"ok": check.ok, "rows": check.rows, "broken_id": check.broken_id, "reason": check.reason})
    elif check.ok:
        console.print(f"[green]audit trail intact[/]: {check.rows} rows / nhật ký truy cập nguyên vẹn")
    else:
        console.print(f"[bold red]audit row {check.broken_id} is broken[/]: {check.reason} "
                      f"(dòng {check.broken_id} bị sửa hoặc mất); {check.rows} rows before it are intact")
    if not check.ok:
        raise typer.Exit(1)


def _moment(value: str | None, option: str) -> datetime | None:
    from sohoa.timezone import VIETNAM

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date / không phải ngày", "write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM")
    return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)


@audit_app.command("export")
def export(
    start: str = typer.Option(None, "--from", help="First day (YYYY-MM-DD, Vietnam time), included."),
    end: str = typer.Option(None, "--to", help="Day after the last one (YYYY-MM-DD), excluded."),
    out: Path = typer.Option(None, help="Write JSON lines to this file instead of the screen."),
) -> None:
    """Every audit row in the period as JSON lines, with its hashes, for an inspector."""
    import json

    rows = _audit().rows(_moment(start, "--from"), _moment(end, "--to"))
    if out is None:
        for row in rows:
            print_json(row)
        return
    written = 0
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            written += 1
    console.print(f"{written} audit rows written to {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
