"""Moving refused input out of the inbox, with its reason beside it and an event in the register."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from ingest.rejection import Rejected
from storage.register import Register


def free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/name.2`, `.3`... when taken: a quarantine never overwrites."""
    candidate, n = folder / name, 1
    while candidate.exists() or candidate.with_name(candidate.name + ".reason.txt").exists():
        n += 1
        candidate = folder / f"{name}.{n}"
    return candidate


def safe_name(name: str) -> str:
    """A printable stand-in for a hostile name, so the quarantined copy can be opened and read."""
    cleaned = "".join(c if c.isprintable() and c not in "/\\" else "_" for c in name)
    return cleaned[:120] or "unnamed"


def quarantine(entry: Path, rejected: Rejected, folder: Path, register: Register, actor: str) -> Path:
    """Move `entry` into `folder` with `<name>.reason.txt`, and record why; return where it went."""
    folder.mkdir(parents=True, exist_ok=True)
    target = free_name(folder, safe_name(entry.name))
    reason = target.with_name(target.name + ".reason.txt")
    reason.write_text(f"{rejected.text()}file: {entry.name!r}\nat: {datetime.now().astimezone():%Y-%m-%dT%H:%M:%S%z}\n",
                      encoding="utf-8")
    shutil.move(str(entry), str(target))
    register.add_event(None, actor, "quarantined",
                       {"name": entry.name, "moved_to": target.name, "code": rejected.code,
                        "reason": rejected.english})
    return target
