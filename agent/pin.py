"""The PIN prompt: the agent's own, never the web page's, and never logged.

`PinPrompt` is the seam a graphical prompt (a small Tk or native dialog) plugs into; the terminal
prompt is the default and `FdPinPrompt` serves scripts and tests that hand the PIN over a file
descriptor, as `sohoa sign --pin-fd` does.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PinRequest:
    """What the official should see before typing the PIN: who asks, for what, how risky a mistake is."""

    site: str
    token: str
    signer: str
    documents: int
    wrong_pins: int
    final_try: bool
    count_low: bool


class PinPrompt(Protocol):
    def ask(self, request: PinRequest) -> str | None:
        """The PIN, or None when the official declines (the batch is then cancelled)."""
        ...


def describe(request: PinRequest) -> str:
    lines = [
        f"{request.site} xin ký {request.documents} văn bản bằng chứng thư của {request.signer} "
        f"(token {request.token}).",
        f"{request.site} asks to sign {request.documents} document(s) with the certificate of "
        f"{request.signer} (token {request.token}).",
    ]
    if request.final_try:
        lines.append("CẢNH BÁO: còn một lần nhập; sai nữa token sẽ bị khóa. / WARNING: last try before the "
                     "token locks.")
    elif request.count_low or request.wrong_pins:
        lines.append(f"Đã nhập sai {request.wrong_pins} lần. / {request.wrong_pins} wrong PIN(s) so far.")
    return "\n".join(lines)


class TerminalPinPrompt:
    """Asks on the agent's terminal with echo off (getpass); an empty answer declines."""

    def ask(self, request: PinRequest) -> str | None:
        print(describe(request), file=sys.stderr, flush=True)
        try:
            pin = getpass.getpass("Mã PIN / PIN (Enter để từ chối / to decline): ")
        except (EOFError, KeyboardInterrupt):
            return None
        return pin or None


class FdPinPrompt:
    """Reads one PIN per batch, a line at a time, from a file descriptor (scripts and tests)."""

    def __init__(self, fd: int) -> None:
        self._stream = os.fdopen(fd, "r", encoding="utf-8", closefd=False)

    def ask(self, request: PinRequest) -> str | None:
        print(describe(request), file=sys.stderr, flush=True)
        line = self._stream.readline()
        return line.rstrip("\r\n") or None
