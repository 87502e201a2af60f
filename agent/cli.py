"""`sohoa-agent`: run the signing agent, show or forget its pairing, list the token's certificates.

Standard library `argparse`, so the program starts fast and needs nothing beyond what signing
with a token needs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_PORT = 8471
DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


def _fail(en: str, vi: str) -> None:
    print(f"{vi}\n{en}", file=sys.stderr)
    raise SystemExit(2)


def run(args: argparse.Namespace) -> None:
    from agent import pairing
    from agent.pin import FdPinPrompt, PinPrompt, TerminalPinPrompt
    from agent.server import Agent, AgentServer
    from agent.token import TokenProblem, Tokens

    stored = pairing.load(args.config)
    if args.site is not None:
        try:
            site = pairing.origin_of(args.site)
        except ValueError as exc:
            _fail(str(exc), f"Địa chỉ trang không hợp lệ: {args.site!r}")
        if stored is not None and stored.origin != site:
            _fail(f"this agent is paired with {stored.origin}; run `sohoa-agent unpair` to pair with {site}",
                  f"Chương trình ký đang ghép nối với {stored.origin}; chạy `sohoa-agent unpair` để ghép với {site}")
    elif stored is None:
        _fail("not paired yet: start with --site https://<your sohoa site>",
              "Chưa ghép nối: chạy với --site https://<trang sohoa của cơ quan>")
    try:
        tokens = Tokens(Path(args.module), args.token)
    except TokenProblem as exc:
        _fail(str(exc), f"Không mở được thư viện PKCS#11: {args.module}")
    prompt: PinPrompt = FdPinPrompt(args.pin_fd) if args.pin_fd is not None else TerminalPinPrompt()
    agent = Agent(tokens=tokens, prompt=prompt, folder=args.config, site=args.site,
                  say=lambda line: print(line, flush=True), max_wrong_pins=args.max_wrong_pins)
    try:
        server = AgentServer(agent, args.port)
    except OSError as exc:
        _fail(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}",
              f"Không mở được cổng 127.0.0.1:{args.port}: cổng đang bận?")
    print(f"sohoa-agent: http://127.0.0.1:{server.port} ({agent.origin})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def status(args: argparse.Namespace) -> None:
    from agent import pairing

    stored = pairing.load(args.config)
    if stored is None:
        print("Chưa ghép nối / not paired")
    else:
        print(f"Đã ghép nối với / paired with {stored.origin} ({stored.paired_at})")


def unpair(args: argparse.Namespace) -> None:
    from agent import pairing

    print("Đã hủy ghép nối / pairing removed" if pairing.forget(args.config)
          else "Chưa ghép nối / not paired")


def certificates(args: argparse.Namespace) -> None:
    from asn1crypto import x509

    from agent.token import TokenProblem, Tokens

    try:
        found = Tokens(Path(args.module), args.token).certificates()
    except TokenProblem as exc:
        _fail(str(exc), f"Không đọc được token: {exc}")
    if not found:
        print("Không thấy chứng thư nào / no signing certificate on the tokens")
    for cert in found:
        parsed = x509.Certificate.load(cert.der)
        print(f"{cert.token}\t{parsed.subject.human_friendly}\t{parsed.not_valid_after:%Y-%m-%d}\t{cert.fingerprint}")


def sign_inbox(args: argparse.Namespace) -> None:
    from agent.inbox import run as run_inbox

    run_inbox(args)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="sohoa-agent", description="Sign sohoa documents with the USB token "
                                  "on this PC: the key stays on the token, the PIN on this PC.")
    top.add_argument("--config", type=Path, default=None,
                     help="folder of the pairing (default: the user's config folder, sohoa-agent)")
    commands = top.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("run", help="listen on 127.0.0.1 for the paired site's signing page")
    serve.add_argument("--site", help="address of the sohoa site to pair with (first run)")
    serve.add_argument("--port", type=int, default=int(os.environ.get("SOHOA_AGENT_PORT", DEFAULT_PORT)),
                       help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one)")
    serve.add_argument("--pin-fd", type=int, default=None,
                       help="read one PIN per batch from this file descriptor instead of the terminal prompt")
    serve.add_argument("--max-wrong-pins", type=int, default=2,
                       help="wrong PINs in a row after which the agent stops asking until restarted")
    serve.set_defaults(func=run)
    listing = commands.add_parser("certificates", help="list the signing certificates on the tokens")
    listing.set_defaults(func=certificates)
    inbox = commands.add_parser(
        "sign-inbox", help="sign the results waiting for you on the site, without a browser (one PIN)",
        description="Sign in to the sohoa site, list the results waiting for your signature (the Ký số page's "
        "list), have the site prepare them for the certificate on your token, sign them all after one PIN, "
        "and print what the site verified. Exit 0 when every one was signed and verified, 1 when one was "
        "not, 2 when nothing could be signed.")
    inbox.add_argument("--site", required=True, help="address of the sohoa site, e.g. https://motcua.example.gov.vn")
    inbox.add_argument("--user", default=None, help="your user name on the site (default: this PC's user name)")
    inbox.add_argument("--password-fd", type=int, default=None,
                       help="read the password from this file descriptor instead of a hidden prompt")
    inbox.add_argument("--pin-fd", type=int, default=None,
                       help="read the PIN from this file descriptor instead of the hidden prompt")
    inbox.add_argument("--certificate", default=None,
                       help="fingerprint (or its start) of the certificate to sign with, when the token holds several")
    inbox.add_argument("--tasks", type=int, nargs="+", default=None, help="sign only these task numbers")
    inbox.add_argument("--title", default=None, help="your title on the stamp, e.g. 'KT. CHỦ TỊCH'")
    inbox.add_argument("--json", action="store_true", help="one JSON line per document (and for a refusal)")
    inbox.set_defaults(func=sign_inbox)
    for sub in (serve, listing, inbox):
        sub.add_argument("--module", default=os.environ.get("SOHOA_PKCS11_MODULE", DEFAULT_MODULE),
                         help="PKCS#11 library of the token (the CA's driver)")
        sub.add_argument("--token", default=None, help="use only the token with this label")
    commands.add_parser("status", help="show which site this agent is paired with").set_defaults(func=status)
    commands.add_parser("unpair", help="forget the pairing").set_defaults(func=unpair)
    return top


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `sohoa-agent` console script."""
    args = parser().parse_args(argv)
    if args.config is None:
        from agent.pairing import config_dir

        args.config = config_dir()
    from agent.pairing import PairingDamaged

    try:
        args.func(args)
    except PairingDamaged as exc:  # say what to do, no traceback
        _fail(str(exc), "Tệp ghép nối bị hỏng: chạy `sohoa-agent unpair` rồi ghép nối lại")
