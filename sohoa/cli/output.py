"""What every command shares: JSON lines for scripts, a rich console for people, friendly errors."""

from __future__ import annotations

import getpass
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

from sohoa.timezone import VIETNAM

if TYPE_CHECKING:
    from storage.audit import AuditAction
    from storage.register import Register


def vietnam_now() -> datetime:
    """Now on Vietnam's clock, whatever the machine's zone (servers often run in UTC)."""
    return datetime.now(VIETNAM)


# `console.log` stamps its lines with `get_datetime()`: Vietnam's time, as people read it.
console = Console(get_datetime=vietnam_now)
err_console = Console(stderr=True, soft_wrap=True, get_datetime=vietnam_now)


class VietnamFormatter(logging.Formatter):
    """Log lines stamped in Asia/Ho_Chi_Minh with the offset shown, not in the machine's zone."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, VIETNAM)
        return moment.strftime(datefmt or "%Y-%m-%d %H:%M:%S%z")


def log_to_console(level: int, fmt: str = "%(asctime)s %(levelname)s %(message)s") -> None:
    """Send the standard library's log lines to stderr, stamped on Vietnam's clock."""
    handler = logging.StreamHandler()
    handler.setFormatter(VietnamFormatter(fmt))
    logging.basicConfig(level=level, handlers=[handler])

JsonOption = typer.Option(False, "--json", help="Print JSON (one object per line) for scripts.")


def print_json(obj: Any) -> None:
    """One JSON object on one line, UTF-8 kept readable (Vietnamese is not escaped).

    A file name with bytes that are not UTF-8 is written with JSON escapes for them (`\\udcff`),
    so the line stays valid UTF-8 and decodes back to the same name.
    """
    line = json.dumps(obj, ensure_ascii=False, default=str)
    typer.echo(line.encode("utf-8", "backslashreplace").decode("utf-8"))


def fail(message: str, hint: str | None = None, code: int = 1) -> NoReturn:
    """Stop with a message that says what went wrong and what to do about it, not a traceback."""
    err_console.print(f"[bold red]error:[/] {message}")
    if hint:
        err_console.print(f"[dim]→ {hint}[/]")
    raise typer.Exit(code)


def actor() -> str:
    """Who is at the keyboard, for the audit trail."""
    return f"cli:{getpass.getuser()}"


def audit_read(register: Register, action: AuditAction, dossiers: Sequence[int], purpose: str | None = None,
               **detail: object) -> None:
    """An audit row for a read of dossiers at the terminal, as the web writes one for each read.

    The person at the keyboard has shell access to the register, so every agency: role `cli`,
    agency `*`, and the login name as the actor.
    """
    from storage.audit import Audit, AuditEntry

    Audit(register).append(AuditEntry(actor=actor(), role="cli", agency="*", action=action,
                                      dossiers=tuple(dossiers), purpose=purpose, detail=dict(detail)))
