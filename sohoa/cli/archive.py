"""`sohoa archive export` and `sohoa archive verify`: E-ARK SIPs for the archive (Thông tư 05/2025/TT-BNV).

The command parses and presents; `workers/archive.py` gathers the facts and the `archive` stage writes
and checks the packages. Heavy imports wait inside the commands, so `sohoa --help` stays fast.
"""

from __future__ import annotations

import getpass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import typer

from sohoa.cli.output import JsonOption, audit_read, console, err_console, fail, print_json

archive_app = typer.Typer(help="Archive packages (E-ARK SIP, Thông tư 05/2025/TT-BNV): export and verify.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(archive_app, name="archive")


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date / không phải ngày", "write it as YYYY-MM-DD, e.g. 2026-08-04")


@archive_app.command("export")
def export_command(
    dossiers: list[str] = typer.Argument(None, help="Dossier numbers or codes (mã hồ sơ); or use --from/--to."),
    out: Path = typer.Option(..., "--out", help="Folder the packages are written to (one per dossier)."),
    start: str | None = typer.Option(None, "--from", help="First day of receipt, YYYY-MM-DD (Vietnam time)."),
    end: str | None = typer.Option(None, "--to", help="Last day of receipt, YYYY-MM-DD, included."),
    agency: str | None = typer.Option(None, "--agency", help="Only dossiers of this agency code."),
    procedure: str | None = typer.Option(None, "--procedure", help="Only dossiers filed under this procedure."),
    as_zip: bool = typer.Option(False, "--zip", help="Write each package as one ZIP instead of a folder."),
    json_out: bool = JsonOption,
) -> None:
    """Write one E-ARK SIP per dossier; packages already written and verified are kept (re-run to resume).

    JSON lines: dossier_id, package, outcome (written, skipped, redone, failed), detail.
    """
    from archive.xml import VIETNAM
    from settings import load_settings
    from storage.audit import AuditAction
    from workers.archive import Outcome, export_dossier
    from workers.services import Services

    services = Services(load_settings())
    register = services.register
    if dossiers and (start or end):
        fail("give dossiers or --from/--to, not both / chọn danh sách hồ sơ hoặc khoảng ngày, không cả hai")
    if dossiers:
        ids = []
        for ref in dossiers:
            found = register.get(int(ref)) if ref.isdigit() else register.find_by_code(ref)
            if found is None:
                fail(f"no dossier {ref!r} / không có hồ sơ {ref!r}", "see `sohoa search` or `sohoa status`")
            ids.append(found.id)
    else:
        first, last = _day(start, "--from"), _day(end, "--to")
        if first is None or last is None:
            fail("say which dossiers: DOSSIER... or --from D --to D / hãy chọn hồ sơ cần xuất",
                 "e.g. sohoa archive export --from 2026-08-01 --to 2026-08-31 --out /mnt/luu-tru")
        ids = register.dossier_ids_received(start=datetime.combine(first, time(), VIETNAM),
                                            end=datetime.combine(last + timedelta(days=1), time(), VIETNAM),
                                            agency=agency, procedure=procedure)
    actor = f"cli:{getpass.getuser()}"
    failed = 0
    from rich.progress import Progress

    with Progress(console=err_console, disable=json_out, transient=True) as progress:
        task = progress.add_task("Xuất gói lưu trữ / exporting", total=len(ids))
        for dossier_id in ids:
            result = export_dossier(dossier_id, services, out, as_zip=as_zip, actor=actor)
            failed += result.outcome is Outcome.failed
            if result.outcome is not Outcome.failed:  # the package holds the dossier's personal data
                audit_read(register, AuditAction.EXPORT, (dossier_id,), via="cli archive export",
                           outcome=result.outcome.value, package=str(result.package or ""))
            progress.advance(task)
            if json_out:
                print_json({"dossier_id": dossier_id, "package": str(result.package) if result.package else None,
                            "outcome": result.outcome.value, "detail": result.detail})
            else:
                console.print(f"{dossier_id}\t{result.outcome.value}\t{result.package or ''}\t{result.detail}")
    if not json_out:
        console.print(f"{len(ids) - failed} of {len(ids)} dossier(s) packaged in {out}")
    if failed:
        raise typer.Exit(1)


@archive_app.command("verify")
def verify_command(
    packages: list[Path] = typer.Argument(..., help="Package folders or ZIPs."),
    trust: list[Path] = typer.Option([], "--trust", help="PEM roots to trust for signatures (adds to settings)."),
    offline: bool = typer.Option(False, "--offline", help="Do not fetch OCSP/CRL; use what the PDFs embed."),
    json_out: bool = JsonOption,
) -> None:
    """Check packages: every checksum against the METS, the PDF/A copy, the signatures still valid.

    Exit 0 when every package passes, 1 otherwise. JSON lines: path, package_id, ok, problems, checked.
    """
    from settings import load_settings
    from workers.archive import verify_archive_package

    roots = [*load_settings().trust_roots, *trust]
    bad = 0
    for path in packages:
        if not path.exists():
            fail(f"{path}: no such package / không có gói này", "give a package folder or ZIP")
        result = verify_archive_package(path, roots, offline=offline)
        bad += not result.ok
        if json_out:
            print_json({"path": str(path), "package_id": result.package_id, "ok": result.ok,
                        "problems": result.problems, "checked": result.checked})
            continue
        verdict = "[green]OK[/] (hợp lệ)" if result.ok else "[red]NOT OK[/] (không hợp lệ)"
        console.print(f"{path}: {verdict}")
        for line in result.checked:
            console.print(f"  ✓ {line}")
        for problem in result.problems:
            console.print(f"  ✗ {problem}")
    if bad:
        raise typer.Exit(1)
