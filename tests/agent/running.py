"""`sohoa-agent` run in another process, as on an official's PC; used by the tests and bench/sign.py.

The PIN goes to the agent's own prompt (here `--pin-fd 0`, its stdin), never over HTTP: the
test types it as the official would, one line per batch.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SITE = "https://sohoa.binhthanh.test"


@dataclass
class RunningAgent:
    process: subprocess.Popen[str]
    url: str
    code: str | None
    lines: queue.Queue[str] = field(default_factory=queue.Queue)

    def type_pin(self, pin: str) -> None:
        """The official types the PIN into the agent's prompt (one line per batch)."""
        assert self.process.stdin is not None
        self.process.stdin.write(pin + "\n")
        self.process.stdin.flush()

    def said(self) -> list[str]:
        """What the agent printed on its terminal since the last call."""
        out = []
        while not self.lines.empty():
            out.append(self.lines.get_nowait())
        return out


@contextmanager
def running_agent(config: Path, *, site: str | None = SITE, token: str | None = None,
                  env: dict[str, str] | None = None) -> Iterator[RunningAgent]:
    """Start `python -m agent run` on a free port; yields once it listens (with the pairing code, if shown)."""
    args = [sys.executable, "-m", "agent", "--config", str(config), "run", "--port", "0", "--pin-fd", "0"]
    if site is not None:
        args += ["--site", site]
    if token is not None:
        args += ["--token", token]
    process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env={**os.environ, **(env or {})})
    lines: queue.Queue[str] = queue.Queue()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=drain, daemon=True).start()
    code = url = None
    try:
        while url is None:
            line = lines.get(timeout=60)
            if found := re.search(r"Pairing code: (\d{4}-\d{4})", line):
                code = found.group(1)
            if found := re.match(r"sohoa-agent: (http://127\.0\.0\.1:\d+)", line):
                url = found.group(1)
        yield RunningAgent(process=process, url=url, code=code, lines=lines)
    finally:
        process.terminate()
        process.wait(timeout=10)
