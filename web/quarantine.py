"""The quarantine folder as the admin page shows it: refused files with their reasons.

An admin releases a file back to the inbox (after fixing what refused it, e.g. raising a limit;
the watcher checks it again from the start) or deletes it. Names come from the page, so only a
plain name of an entry directly inside the folder is accepted.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workers.quarantine import free_name

REASON_SUFFIX = ".reason.txt"


@dataclass(frozen=True)
class Quarantined:
    name: str
    reason: str  # the whole `.reason.txt`: English line, Vietnamese line, reason code, file, time
    size: int
    at: datetime

    @property
    def english(self) -> str:
        return self.reason.splitlines()[0] if self.reason else ""

    @property
    def vietnamese(self) -> str:
        lines = self.reason.splitlines()
        return lines[1] if len(lines) > 1 else self.english


def entries(folder: Path, limit: int = 200) -> list[Quarantined]:
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if path.name.endswith(REASON_SUFFIX) or path.name.startswith("."):
            continue
        reason_file = path.with_name(path.name + REASON_SUFFIX)
        reason = reason_file.read_text(encoding="utf-8", errors="replace") if reason_file.exists() else ""
        size = path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        found.append(Quarantined(path.name, reason.strip(), size, datetime.fromtimestamp(path.stat().st_mtime, UTC)))
    return sorted(found, key=lambda q: q.at, reverse=True)[:limit]


def _entry(folder: Path, name: str) -> Path:
    if not name or name != Path(name).name or name.startswith(".") or name.endswith(REASON_SUFFIX):
        raise FileNotFoundError(name)
    path = folder / name
    if not path.exists() or path.resolve().parent != folder.resolve():
        raise FileNotFoundError(name)
    return path


def release(folder: Path, inbox: Path, name: str) -> Path:
    """Move a quarantined entry back into the inbox; returns where it went."""
    path = _entry(folder, name)
    inbox.mkdir(parents=True, exist_ok=True)
    target = free_name(inbox, name)
    shutil.move(str(path), str(target))
    path.with_name(name + REASON_SUFFIX).unlink(missing_ok=True)
    return target


def delete(folder: Path, name: str) -> None:
    path = _entry(folder, name)
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    path.with_name(name + REASON_SUFFIX).unlink(missing_ok=True)
