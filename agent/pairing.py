"""Which sohoa site this agent answers, and the key that site's pages present.

Pairing happens once: the agent is started with the site's address and shows a pairing code in
its own window; the official types that code into the site's signing page, the page sends it,
and the agent answers with a random pairing key, kept by the page and presented on every later
request. The agent stores only the site's origin and the SHA-256 of the key, in the user's
config folder, readable by that user alone. Another site, or a page without the key, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

PAIRING_FILE = "pairing.json"
CODE_ATTEMPTS = 5
"""Wrong pairing codes accepted before the code is replaced by a new one."""


def config_dir() -> Path:
    """The user's config folder for the agent: %APPDATA% on Windows, XDG_CONFIG_HOME elsewhere."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "sohoa-agent"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sohoa-agent"


def origin_of(url: str) -> str:
    """The browser origin (scheme://host[:port]) of a site address, as its pages' `Origin` header says it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not a site address: {url!r} (expected e.g. https://sohoa.example.gov.vn)")
    default = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


class PairingDamaged(ValueError):
    """The stored pairing cannot be read; the message says how to pair again."""


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Pairing:
    """The stored pairing: one site, the hash of its key, when it was made."""

    origin: str
    key_sha256: str
    paired_at: str

    def accepts(self, origin: str | None, key: str | None) -> bool:
        return origin == self.origin and key is not None and hmac.compare_digest(_digest(key), self.key_sha256)


def load(folder: Path) -> Pairing | None:
    path = folder / PAIRING_FILE
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Pairing(origin=raw["origin"], key_sha256=raw["key_sha256"], paired_at=raw["paired_at"])
    except (ValueError, KeyError, TypeError) as exc:
        raise PairingDamaged(f"the pairing file {path} is damaged: run `sohoa-agent unpair` and pair again") from exc


def save(folder: Path, pairing: Pairing) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / PAIRING_FILE
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(asdict(pairing), f)
    tmp.replace(path)


def forget(folder: Path) -> bool:
    """Remove the pairing; True when there was one."""
    path = folder / PAIRING_FILE
    if path.exists():
        path.unlink()
        return True
    return False


def new_code() -> str:
    """Eight random digits, shown as 1234-5678: easy to read aloud and type, hard to guess in 5 tries."""
    digits = f"{secrets.randbelow(10**8):08d}"
    return f"{digits[:4]}-{digits[4:]}"


class PairingOffer:
    """An open offer to pair with `origin`: the code shown in the agent's window, and its attempts left."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.code = new_code()
        self.attempts = CODE_ATTEMPTS

    def take(self, origin: str | None, code: str) -> tuple[Pairing, str] | None:
        """The pairing and its key when `code` is right; None (and one attempt fewer) when not."""
        typed = "".join(ch for ch in code if ch.isdigit())
        if origin == self.origin and hmac.compare_digest(typed, self.code.replace("-", "")):
            key = secrets.token_urlsafe(32)
            return Pairing(origin=self.origin, key_sha256=_digest(key),
                           paired_at=datetime.now(UTC).isoformat(timespec="seconds")), key
        self.attempts -= 1
        if self.attempts <= 0:
            self.code, self.attempts = new_code(), CODE_ATTEMPTS
        return None
