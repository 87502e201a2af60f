"""Commands of the signing stage: verify a signed PDF, sign plain files with a token or PKCS#12.

PINs and passphrases come from a hidden prompt or from a file descriptor (`--pin-fd 3 3<pin.txt`,
or a pipe from a secrets tool), never from arguments or environment variables, and are never
printed. The task-based commands (`sohoa sign inbox`, `sohoa sign TASK...`) wire the register
and are added by the register's owner on top of the same library calls.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from sohoa.cli.output import JsonOption, console, fail, print_json

if TYPE_CHECKING:
    from signing import Level, SigningSession, VerificationReport



class LevelChoice(StrEnum):
    """`signing.Level`'s values (a test checks they agree): the option is parsed without importing
    pyHanko, so that `sohoa verify --help` starts at once."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

EXIT_NOT_OK, EXIT_UNREADABLE = 1, 2


def register(app: typer.Typer) -> None:
    app.command("verify")(verify_command)
    app.command("sign-file")(sign_file_command)


def verify_command(
    file: Path = typer.Argument(..., help="The signed PDF."),
    trust: list[Path] = typer.Option([], "--trust", help="PEM/DER root certificate to trust, besides "
                                     "SOHOA_TRUST_ROOTS. Repeat for several."),
    offline: bool = typer.Option(False, "--offline", help="Do not ask OCSP responders or CRLs; use only "
                                 "what the file embeds."),
    json: bool = JsonOption,
) -> None:
    """Check every signature of FILE. Exit 0 only when all are intact, valid, trusted and cover the file."""
    from signing import SigningProblem, UnreadablePdf, verify
    from sohoa.settings import load_settings

    settings = load_settings()
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", code=EXIT_UNREADABLE)
    try:
        report = verify(data, [*settings.trust_roots, *trust], allow_fetching=not offline)
    except UnreadablePdf as exc:
        if json:
            print_json({"file": str(file), "ok": False, "error": str(exc)})
        fail(f"{file}: {exc}", code=EXIT_UNREADABLE)
    except SigningProblem as exc:
        fail(str(exc), hint="check the --trust files", code=EXIT_UNREADABLE)
    if json:
        print_json({"file": str(file), **report.to_dict()})
    else:
        _print_report(file, report, has_roots=bool(settings.trust_roots or trust))
    raise typer.Exit(0 if report.ok else EXIT_NOT_OK)


def _print_report(file: Path, report: VerificationReport, has_roots: bool) -> None:
    table = Table(title=str(file), show_lines=False)
    for column in ("field", "signer", "intact", "valid", "trusted", "coverage", "changes after", "timestamp"):
        table.add_column(column)
    for sig in report.signatures:
        def mark(value: bool | None) -> str:
            return "[green]yes[/]" if value else "[red]no[/]"
        table.add_row(sig.field, f"{sig.signer or '?'}" + (f"\n{sig.organization}" if sig.organization else ""),
                      mark(sig.intact), mark(sig.valid),
                      mark(sig.trusted) + (" [red](revoked)[/]" if sig.revoked else ""), sig.coverage,
                      sig.modification_level or "-", sig.timestamp or "-")
    console.print(table)
    for problem in report.problems:
        console.print(f"[red]✗[/] {problem}")
    if not has_roots:
        console.print("[yellow]no trust roots configured: set SOHOA_TRUST_ROOTS or pass --trust[/]")
    console.print("[bold green]OK[/]" if report.ok else "[bold red]NOT OK[/]")


def sign_file_command(
    files: list[Path] = typer.Argument(..., help="PDF file(s) to sign; several are signed with one PIN entry."),
    out: Path = typer.Option(..., "--out", help="Output PDF, or a folder when several files are signed."),
    token: str | None = typer.Option(None, "--token", help="Label of the PKCS#11 token to sign with."),
    p12: Path | None = typer.Option(None, "--p12", help="PKCS#12 (.p12/.pfx) file to sign with."),
    pin_fd: int | None = typer.Option(None, "--pin-fd", help="Read the PIN/passphrase from this file "
                                      "descriptor instead of prompting."),
    key_label: str | None = typer.Option(None, "--key-label", help="Key on the token, when it holds several."),
    name: str | None = typer.Option(None, "--name", help="Signer name on the stamp; default: the certificate's."),
    title: str | None = typer.Option(None, "--title", help="Signer's title, e.g. 'KT. CHỦ TỊCH'."),
    agency: str | None = typer.Option(None, "--agency", help="Agency name on the stamp."),
    signature_image: Path | None = typer.Option(None, "--signature-image", help="Handwritten signature (blue PNG)."),
    seal_image: Path | None = typer.Option(None, "--seal-image", help="Agency seal (red PNG), over the signature."),
    copy: bool = typer.Option(False, "--copy", help="Digitized copy: agency stamp top right of page 1, no image."),
    invisible: bool = typer.Option(False, "--invisible", help="No visible stamp."),
    level: LevelChoice | None = typer.Option(None, "--level",
                                             help="PAdES level; default B-T with SOHOA_TSA_URL, else B-B."),
    lock: bool = typer.Option(False, "--lock", help="Last signer: forbid any later change."),
    json: bool = JsonOption,
) -> None:
    """Sign plain PDF files as PAdES and verify each result before writing it."""
    from signing import CopyAppearance, Level, SignatureAppearance, SigningProblem
    from sohoa.settings import load_settings

    settings = load_settings()
    if len(files) > 1 and out.suffix.lower() == ".pdf":
        fail("several files need --out to be a folder")
    try:
        chosen = Level(level.value) if level else None
        with open_session(token, p12, pin_fd, key_label=key_label, level=chosen) as session:
            who = session.identity
            appearance: CopyAppearance | SignatureAppearance | None = None
            if copy:
                appearance = CopyAppearance(agency=agency or settings.agency_name)
            elif not invisible:
                appearance = SignatureAppearance(name=name or who.name, title=title,
                                                 agency=agency or who.organization,
                                                 signature_image=signature_image, seal_image=seal_image)
            for file in files:
                _sign_one(session, file, out, appearance, lock, settings.trust_roots, json, many=len(files) > 1)
    except SigningProblem as exc:
        fail(str(exc))


def _sign_one(session: SigningSession, file: Path, out: Path, appearance: Any, lock: bool, roots: list[Path],
              json: bool, many: bool) -> None:
    from signing import UnreadablePdf, verify

    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", code=EXIT_UNREADABLE)
    try:
        signed = session.sign(data, appearance, lock=lock)
    except UnreadablePdf as exc:
        fail(f"{file}: {exc}", code=EXIT_UNREADABLE)
    report = verify(signed.pdf, roots)
    if roots and not report.ok:
        fail(f"{file}: the signed result failed verification, nothing written: {'; '.join(report.problems)}")
    target = out / file.name if many else out
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(signed.pdf)
    if json:
        print_json({"file": str(file), "out": str(target), "level": signed.level.value, "field": signed.field_name,
                    "signer": signed.signer.name, "signed_at": signed.signed_at, "verified": report.ok,
                    "notes": list(signed.notes)})
    else:
        console.print(f"[green]signed[/] {file} → {target} ({signed.level.value}, {signed.signer.name}, "
                      f"{signed.signed_at})" + ("" if roots else " [yellow]not checked against trust roots[/]"))
        for note in signed.notes:
            console.print(f"  [yellow]{note}[/]")


@contextmanager
def open_session(token: str | None, p12: Path | None, pin_fd: int | None, *, key_label: str | None = None,
                 level: Level | None = None) -> Iterator[SigningSession]:
    """One signing session for a whole batch: one PIN entry, one token login, one TSA connection.

    Exactly one of `token` (a PKCS#11 label) or `p12` (a file) is given; the PIN or passphrase is
    read here, from `pin_fd` or a hidden prompt, and dropped as soon as the signer is open.
    """
    from signing import Level, SigningSession, load_p12, open_token
    from sohoa.settings import load_settings

    settings = load_settings()
    if (token is None) == (p12 is None):
        fail("give exactly one of --token LABEL or --p12 FILE")
    level = level or (Level.B_T if settings.tsa_url else Level.B_B)
    secret = _read_secret(pin_fd, "PIN" if token else "Passphrase")
    with ExitStack() as stack:
        if token is not None:
            signer = stack.enter_context(open_token(token, secret, module=settings.pkcs11_module,
                                                    key_label=key_label)).signer
        else:
            assert p12 is not None
            signer = load_p12(p12, secret.encode() if secret else None)
        del secret
        yield stack.enter_context(SigningSession(signer, level=level, tsa_url=settings.tsa_url,
                                                 trust_roots=list(settings.trust_roots)))


def _read_secret(fd: int | None, what: str) -> str:
    """The PIN from a descriptor (up to the first newline) or a hidden prompt; never echoed."""
    if fd is None:
        return typer.prompt(what, hide_input=True, err=True)
    chunks = []
    try:
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
            if b"\n" in chunk:
                break
        os.close(fd)
    except OSError as exc:
        fail(f"cannot read the {what} from file descriptor {fd}: {exc.strerror}")
    return b"".join(chunks).split(b"\n", 1)[0].rstrip(b"\r").decode()
