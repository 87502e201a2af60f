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
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from sohoa.cli.output import JsonOption, console, err_console, fail, print_json

if TYPE_CHECKING:  # the signing stage (pyHanko, pkcs11, Pillow) is imported by the commands themselves
    from signing import Level, SigningSession, VerificationReport


class LevelChoice(StrEnum):
    """`signing.Level`'s values (a test checks they agree): the option is parsed without importing
    pyHanko, so that `sohoa verify --help` starts at once."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"


EXIT_NOT_OK, EXIT_UNREADABLE, EXIT_INDETERMINATE = 1, 2, 3
"""`sohoa verify` exits 0 when every signature is valid, 1 when one is not, 2 when the file cannot
be read at all, and 3 when nothing is wrong but something (revocation) could not be checked."""

_VERDICT_WORDS = {"valid": ("HỢP LỆ", "VALID", "green"), "invalid": ("KHÔNG HỢP LỆ", "NOT VALID", "red"),
                  "indeterminate": ("CHƯA KẾT LUẬN ĐƯỢC", "INDETERMINATE", "yellow")}


def register(app: typer.Typer) -> None:
    app.command("verify")(verify_command)
    app.command("sign-file")(sign_file_command)


def verify_command(
    file: Path = typer.Argument(..., help="The signed PDF."),
    trust: list[Path] = typer.Option([], "--trust", help="PEM/DER root certificate to trust, besides "
                                     "SOHOA_TRUST_ROOTS. Repeat for several."),
    offline: bool = typer.Option(False, "--offline", help="Do not ask OCSP responders or CRLs: accept only "
                                 "what the file's own validation data (B-LT, B-LTA) proves."),
    json: bool = JsonOption,
) -> None:
    """Check every signature of FILE against the verification policy (see the README).

    Exit 0: every signature valid. 1: not valid (the reason is printed). 2: not a readable PDF.
    3: indeterminate, e.g. revocation could not be checked; try again online or ask for a B-LT file.
    """
    import logging

    from settings import load_settings
    from signing import SigningProblem, UnreadablePdf, verify

    # pyHanko logs its own recoverable errors with tracebacks; the verdict already says what matters.
    for name in ("pyhanko", "pyhanko_certvalidator", "certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    settings = load_settings()
    try:
        data = file.read_bytes()
    except OSError as exc:
        _unreadable(file, f"không đọc được tệp ({exc.strerror})", f"cannot read the file ({exc.strerror})", json)
    try:
        report = verify(data, [*settings.trust_roots, *trust], allow_fetching=not offline)
    except UnreadablePdf as exc:
        _unreadable(file, f"không phải tệp PDF đọc được: {exc}", f"not a readable PDF: {exc}", json)
    except SigningProblem as exc:
        fail(str(exc), hint="check the --trust files and SOHOA_TRUST_ROOTS", code=EXIT_UNREADABLE)
    except Exception as exc:  # a crafted file must never end in a traceback
        _unreadable(file, f"cấu trúc tệp không đọc được ({type(exc).__name__})",
                    f"the file's structure cannot be read ({type(exc).__name__})", json)
    if json:
        print_json({"file": str(file), **report.to_dict()})
    else:
        _print_report(file, report, has_roots=bool(settings.trust_roots or trust))
    raise typer.Exit({"valid": 0, "invalid": EXIT_NOT_OK, "indeterminate": EXIT_INDETERMINATE}[report.verdict])


def _unreadable(file: Path, vi: str, en: str, json: bool) -> NoReturn:
    if json:
        print_json({"file": str(file), "ok": False, "verdict": "unreadable", "error": en, "error_vi": vi})
    else:
        err_console.print(f"[bold red]lỗi / error:[/] {file}: {vi}\n  {en}")
    raise typer.Exit(EXIT_UNREADABLE)


def _print_report(file: Path, report: VerificationReport, has_roots: bool) -> None:
    from rich.markup import escape

    console.print(f"[bold]{escape(str(file))}[/] — {report.revisions} phiên bản / revisions")
    for reason in report.findings:  # first: they concern every signature below
        console.print(f"  [red]✗[/] {escape(reason.vi)}\n    [dim]{escape(reason.en)}[/]")
    for sig in report.signatures:
        vi, en, colour = _VERDICT_WORDS[sig.verdict]
        kind = "dấu thời gian / document timestamp" if sig.kind == "document timestamp" else "chữ ký / signature"
        who = ", ".join(x for x in (sig.signer, sig.organization) if x) or "?"
        console.print(f"  [{colour}]{'✓' if sig.ok else '✗'}[/] {escape(sig.field)} ({kind}): {escape(who)}"
                      f" — [{colour}]{vi} / {en}[/]")
        when = [f"ký lúc / signed at {sig.signed_at}" if sig.signed_at else "",
                f"dấu thời gian / timestamp {sig.timestamp}" if sig.timestamp else ""]
        if any(when):
            console.print(f"      [dim]{'; '.join(w for w in when if w)}[/]")
        for reason in sig.findings:
            console.print(f"      {escape(reason.vi)}\n      [dim]{escape(reason.en)}[/]")
    if not has_roots:
        console.print("[yellow]Chưa cấu hình tổ chức chứng thực tin cậy / no trust roots configured: "
                      "set SOHOA_TRUST_ROOTS or pass --trust[/]")
    vi, en, colour = _VERDICT_WORDS[report.verdict]
    console.print(f"[bold {colour}]{vi} / {en}[/]")


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
    level: LevelChoice | None = typer.Option(None, "--level", case_sensitive=False,
                                             help="PAdES level; default B-T with SOHOA_TSA_URL, else B-B. "
                                             "B-B is never chosen for you when a TSA is set."),
    lock: bool = typer.Option(False, "--lock", help="Last signer: forbid any later change."),
    json: bool = JsonOption,
) -> None:
    """Sign plain PDF files as PAdES and verify each result before writing it; print the level embedded."""
    from settings import load_settings
    from signing import CopyAppearance, Level, SignatureAppearance, SigningProblem

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
        fail(f"{file}: the signed result did not verify ({report.verdict}), nothing written: "
             f"{'; '.join(report.problems)}")
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
    from settings import load_settings
    from signing import Level, SigningSession, load_p12, open_token

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
