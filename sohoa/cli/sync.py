"""Commands of the hand-off to the provincial system: `sohoa sync ...` and `sohoa province-sim`."""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import typer

from settings import load_settings
from sohoa.cli.output import JsonOption, console, fail, log_to_console, print_json

if TYPE_CHECKING:
    from workers.services import Services

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
sync_app = typer.Typer(help="Hand-off to the provincial one-stop system (the outbox).", no_args_is_help=True)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _local(at: datetime | None) -> str:
    if at is None:
        return ""
    return (at if at.tzinfo else at.replace(tzinfo=ZoneInfo("UTC"))).astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")


def _services() -> Services:
    from workers.services import Services

    return Services(load_settings())


def _dossier_id(services: Services, ref: str) -> int:
    dossier = services.register.get(int(ref)) if ref.isdigit() else services.register.find_by_code(ref)
    if dossier is None:
        fail(f"no dossier {ref!r} / không có hồ sơ {ref!r}", "give a dossier number or code (sohoa search)")
    return int(dossier.id)


@sync_app.command("status")
def sync_status(
    dossier: str = typer.Argument(None, help="Only this dossier's messages (number or code)."),
    json_out: bool = JsonOption,
) -> None:
    """Messages per state (waiting, pending, sending, sent, merged, dead) and the dead letters' reasons."""
    services = _services()
    register = services.register
    dossier_id = _dossier_id(services, dossier) if dossier else None
    counts = register.outbox_counts()
    rows = register.outbox_messages(dossier_id=dossier_id, limit=100) if dossier_id else \
        register.outbox_messages(states=["dead"], limit=50)
    messages = [{"id": r.id, "dossier_id": r.dossier_id, "code": r.code, "kind": r.kind, "state": r.state,
                 "attempts": r.attempts, "error": r.last_error, "created_at": _local(r.created_at),
                 "sent_at": _local(r.sent_at)} for r in rows]
    settings = services.settings
    if json_out:
        print_json({"configured": bool(settings.province_url), "by_state": counts, "messages": messages})
        return
    if not settings.province_url:
        console.print("[yellow]SOHOA_PROVINCE_URL is not set: messages stay in the outbox "
                      "(chưa cấu hình hệ thống một cửa tỉnh)[/]")
    console.print(" · ".join(f"{state} {n}" for state, n in counts.items()))
    for m in messages:
        colour = {"dead": "red", "sent": "green"}.get(str(m["state"]), "yellow")
        console.print(f"[{colour}]{m['state']:>8}[/] #{m['dossier_id']} {m['code'] or ''} {m['kind']} "
                      f"(message {m['id']}, tries {m['attempts']}) {m['sent_at'] or m['created_at']} "
                      f"{m['error'] or ''}")
    if counts.get("dead"):
        console.print("[dim]→ fix the cause, then `sohoa sync retry` (or `sohoa sync resend DOSSIER`)[/]")


@sync_app.command("retry")
def sync_retry(
    dossiers: list[str] = typer.Argument(None, help="Dossiers (numbers or codes); none means every dead letter."),
    json_out: bool = JsonOption,
) -> None:
    """Put dead letters back: they are tried again, from the first retry, by the sync worker."""
    services = _services()
    ids = [_dossier_id(services, ref) for ref in dossiers] if dossiers else None
    count = services.register.outbox_retry(ids, actor=_actor())
    if json_out:
        print_json({"requeued": count})
    else:
        console.print(f"{count} message(s) put back for sending")


@sync_app.command("resend")
def sync_resend(
    dossier: str = typer.Argument(..., help="Dossier number or code."),
    json_out: bool = JsonOption,
) -> None:
    """Send the dossier as it is now again (the portal lost or garbled it); unsent messages are merged in."""
    services = _services()
    dossier_id = _dossier_id(services, dossier)
    message = services.register.outbox_resend(dossier_id, actor=_actor())
    if json_out:
        print_json({"dossier_id": dossier_id, "message": message})
    else:
        console.print(f"#{dossier_id}: message {message} queued")


@sync_app.command("run")
def sync_run(
    once: bool = typer.Option(False, help="Send what is due, then exit (scripts, cron)."),
    json_out: bool = JsonOption,
) -> None:
    """Run the sync worker in this process until Ctrl-C (`sohoa run` runs one itself)."""
    import logging
    import signal
    import threading

    from workers.sync import SyncNotConfigured, SyncWorker, start_sync_threads

    log_to_console(logging.WARNING, "%(asctime)s %(name)s %(message)s")
    services = _services()
    try:
        worker = SyncWorker(services)
    except SyncNotConfigured as error:
        fail(str(error), "set SOHOA_PROVINCE_URL and SOHOA_PROVINCE_CREDENTIALS_FILE (README, Hand-off)")
    if once:
        report = worker.drain()
        outcome = {"sent": report.sent, "refused": report.refused, "dead": report.dead,
                   "unreachable": report.unreachable, "requests": worker.client.requests}
        if json_out:
            print_json(outcome)
        else:
            console.print(" · ".join(f"{k} {v}" for k, v in outcome.items() if v is not None))
        if report.unreachable:
            raise typer.Exit(1)
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print(f"sending the outbox to {services.settings.province_url} "
                  f"({services.settings.province_workers} workers); Ctrl-C stops", soft_wrap=True)
    threads = start_sync_threads(services, stop)
    try:
        while any(t.is_alive() for t in threads) and not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        console.print("stopped: unsent messages wait in the outbox")


def province_sim(
    port: int = typer.Option(8480, help="Port on 127.0.0.1."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (keep it loopback)."),
    db: Path = typer.Option(Path("province-sim.sqlite"), help="SQLite file of what it received."),
    credentials: Path = typer.Option(..., exists=True, dir_okay=False,
                                     help="key=value file: username, password, client_id, client_secret."),
    madonvi: str = typer.Option(None, help="Accept only this unit code (default: any)."),
    session_ttl: float = typer.Option(1800, help="Seconds a session or token lives."),
    fault_rate: float = typer.Option(0.0, help="Share of service calls that fail (0-1)."),
    faults: str = typer.Option("http500,timeout,slow,session,error_code", help="Kinds of faults, comma-separated."),
    timeout_seconds: float = typer.Option(35.0, help="How late a 'timeout' fault answers."),
) -> None:
    """Run the stand-in provincial adapter: real HTTP, its own SQLite, field checks, injected faults.

    POST /_sim/faults {"rate":0.05} changes the faults while it runs; POST /_sim/expire ends every session.
    """
    import threading

    from province.client import Credentials
    from province.sim import FAULT_KINDS, Faults, ProvinceSim, SimConfig

    kinds = tuple(k.strip() for k in faults.split(",") if k.strip())
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown or not 0 <= fault_rate <= 1:
        fail(f"bad faults {unknown or fault_rate} / lỗi giả lập không hợp lệ", f"choose among {', '.join(FAULT_KINDS)}"
             " and a rate between 0 and 1")
    sim = ProvinceSim(SimConfig(db=db, credentials=Credentials.parse(credentials.read_text(encoding="utf-8")),
                                madonvi=madonvi, session_ttl=session_ttl,
                                faults=Faults(rate=fault_rate, kinds=kinds, timeout_seconds=timeout_seconds)))
    try:
        url = sim.start(host, port)
    except OSError as error:
        fail(f"cannot listen on {host}:{port}: {error}", "choose another --port")
    console.print(f"stand-in provincial adapter on {url} (login {sim.config.auth_path}, "
                  f"services {sim.config.service_path}); records in {db}. Ctrl-C stops.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sim.close()


def register(app: typer.Typer) -> None:
    app.add_typer(sync_app, name="sync")
    app.command("province-sim")(province_sim)
