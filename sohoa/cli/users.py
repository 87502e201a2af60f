"""Accounts of the web: `sohoa users ...` for people, `sohoa tokens ...` for scanner stations.

The first admin is made here (`sohoa users add NAME --role admin`): nothing is open by default.
Passwords come from a hidden prompt or a file descriptor, never from arguments; a station token is
printed once and only its hash is kept.
"""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import typer

from sohoa.cli.output import JsonOption, console, fail, print_json

users_app = typer.Typer(help="People who sign in to the web (roles and agencies).", no_args_is_help=True)
tokens_app = typer.Typer(help="Tokens of scanner stations for the upload API.", no_args_is_help=True)
if TYPE_CHECKING:
    from storage.accounts import Accounts

ROLES = "station, archivist, reviewer, official, clerk, admin"


def _accounts() -> Accounts:
    # imports inside the functions: the start-up time of every `sohoa` command
    from settings import load_settings
    from storage.accounts import Accounts
    from workers.services import Services

    return Accounts(Services(load_settings()).register)


def _audit(action: str, detail: dict[str, object]) -> None:
    from settings import load_settings
    from sohoa.cli.pipeline import actor
    from storage.audit import Audit, AuditAction, AuditEntry
    from workers.services import Services

    Audit(Services(load_settings()).register).append(
        AuditEntry(actor=actor(), role="cli", agency="*", action=AuditAction.ACCOUNT,
                   detail={"what": action, **detail}))


def _password(fd: int | None) -> str:
    if fd is not None:
        with os.fdopen(fd, encoding="utf-8", closefd=True) as f:
            return f.readline().rstrip("\r\n")
    first = getpass.getpass("Password / Mật khẩu: ")
    if first != getpass.getpass("Again / Nhập lại: "):
        fail("the two passwords differ / hai mật khẩu không khớp", "run the command again")
    return first


@users_app.command("add")
def add(
    name: str = typer.Argument(..., help="Login name, e.g. an e-mail or nv.lan."),
    role: str = typer.Option(..., help=f"One of: {ROLES}."),
    agency: list[str] = typer.Option([], help="Agency code whose dossiers the account reads (repeat for several; "
                                     "admins read every agency)."),
    full_name: str = typer.Option("", help="Name shown in the pages and the audit trail."),
    password_fd: int = typer.Option(None, help="Read the password from this file descriptor (3 3<pw.txt) "
                                    "instead of a prompt."),
    json_out: bool = JsonOption,
) -> None:
    """Make an account; the first admin is made this way."""
    from storage.accounts import AccountError, Role

    try:
        chosen = Role(role)
    except ValueError:
        fail(f"no role {role!r} / không có vai trò {role!r}", f"use one of: {ROLES}")
    if chosen is Role.STATION:
        fail("stations sign in with tokens / trạm quét dùng mã truy cập", f"sohoa tokens add {name} --agency CODE")
    try:
        principal = _accounts().add_user(name, chosen, tuple(agency), _password(password_fd), full_name)
    except AccountError as error:
        fail(str(error))
    _audit("user_added", {"username": name, "role": chosen.value, "agencies": list(agency)})
    if json_out:
        print_json({"username": principal.username, "role": principal.role, "agencies": list(principal.agencies)})
    else:
        console.print(f"account {name!r} ({chosen.value}) made; sign in at the web page")


@users_app.command("list")
def list_users(json_out: bool = JsonOption) -> None:
    """Every account with its role, agencies and whether it is active or locked."""
    from sohoa.timezone import local

    rows = _accounts().users()
    if json_out:
        for u in rows:
            print_json({"username": u.username, "full_name": u.full_name, "role": u.role,
                        "agencies": list(u.agencies), "active": u.active, "locked_until": u.locked_until})
        return
    from rich.table import Table

    table = Table("name", "full name", "role", "agencies", "state", title=f"{len(rows)} accounts")
    now = datetime.now(UTC)
    for u in rows:
        state = "disabled" if not u.active else (f"locked until {local(u.locked_until):%H:%M}"
                                                  if u.locked_until and u.locked_until > now else "active")
        table.add_row(u.username, u.full_name, u.role, ", ".join(u.agencies) or "*", state)
    console.print(table)


@users_app.command("disable")
def disable(name: str = typer.Argument(..., help="Login name.")) -> None:
    """Stop an account from signing in; its open sessions end at once."""
    from storage.accounts import AccountError

    try:
        _accounts().set_active(name, False)
    except AccountError as error:
        fail(str(error))
    _audit("user_disabled", {"username": name})
    console.print(f"{name!r} disabled")


@users_app.command("enable")
def enable(name: str = typer.Argument(..., help="Login name.")) -> None:
    """Let a disabled account sign in again."""
    from storage.accounts import AccountError

    try:
        _accounts().set_active(name, True)
    except AccountError as error:
        fail(str(error))
    _audit("user_enabled", {"username": name})
    console.print(f"{name!r} enabled")


@users_app.command("reset-password")
def reset_password(
    name: str = typer.Argument(..., help="Login name."),
    password_fd: int = typer.Option(None, help="Read the new password from this file descriptor."),
) -> None:
    """Set a new password; it unlocks the account and ends its open sessions."""
    from storage.accounts import AccountError

    try:
        _accounts().reset_password(name, _password(password_fd))
    except AccountError as error:
        fail(str(error))
    _audit("password_reset", {"username": name})
    console.print(f"new password set for {name!r}")


@tokens_app.command("add")
def add_token(
    station: str = typer.Argument(..., help="Station name, e.g. scanner-xa-binh-thanh-1."),
    agency: str = typer.Option(..., help="Agency code the station uploads dossiers for."),
    expires: int = typer.Option(None, help="Days until the token stops working (default: never)."),
    json_out: bool = JsonOption,
) -> None:
    """Make a station token and print it once: copy it to the station now."""
    from storage.accounts import AccountError

    until = datetime.now(UTC) + timedelta(days=expires) if expires else None
    try:
        token_id, token = _accounts().add_token(station, agency, until)
    except AccountError as error:
        fail(str(error))
    _audit("token_added", {"station": station, "token_id": token_id, "agency": agency})
    if json_out:
        print_json({"id": token_id, "station": station, "agency": agency, "expires_at": until, "token": token})
        return
    console.print(f"token #{token_id} for {station!r} ({agency}); it is shown only now:")
    typer.echo(token)


@tokens_app.command("list")
def list_tokens(json_out: bool = JsonOption) -> None:
    """Every station token (never the token itself)."""
    from sohoa.timezone import local

    rows = _accounts().tokens()
    if json_out:
        for t in rows:
            print_json(t.__dict__)
        return
    from rich.table import Table

    table = Table("id", "station", "agency", "made", "expires", "state", title=f"{len(rows)} tokens")
    for t in rows:
        table.add_row(str(t.id), t.station, t.agency or "", f"{local(t.created_at):%Y-%m-%d}",
                      f"{local(t.expires_at):%Y-%m-%d}" if t.expires_at else "never",
                      "revoked" if t.revoked_at else "active")
    console.print(table)


@tokens_app.command("revoke")
def revoke(token_id: int = typer.Argument(..., help="Token number from `sohoa tokens list`.")) -> None:
    """Stop a token from working, at once."""
    from storage.accounts import AccountError

    try:
        _accounts().revoke_token(token_id)
    except AccountError as error:
        fail(str(error))
    _audit("token_revoked", {"token_id": token_id})
    console.print(f"token #{token_id} revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
