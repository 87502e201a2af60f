"""What every command shares: JSON lines for scripts, a rich console for people, friendly errors."""

from __future__ import annotations

import getpass
import json
from typing import Any, NoReturn

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

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
