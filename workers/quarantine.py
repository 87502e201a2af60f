"""Moving refused input out of the inbox, with its reason beside it and an event in the register.

The quarantined copy keeps a name that can be written on any file system: cut to a number of
bytes, not of letters (a 247-byte name of Vietnamese letters is 120 characters), so its
`.reason.txt` twin always fits in the 255 bytes a name may have. A link is moved as a link and a
pipe or device is never opened: quarantining reads nothing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from datetime import datetime
from pathlib import Path

from ingest.names import cut_to_bytes
from ingest.rejection import Rejected
from storage.register import Register

SAFE_NAME_BYTES = 150  # leaves room for ".NNN" and ".reason.txt" within 255 bytes
REASON_SUFFIX = ".reason.txt"


def free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/name.2`, `.3`... when taken: a quarantine never overwrites."""
    candidate, n = folder / name, 1
    while os.path.lexists(candidate) or os.path.lexists(candidate.with_name(candidate.name + REASON_SUFFIX)):
        n += 1
        candidate = folder / f"{name}.{n}"
    return candidate


def safe_name(name: str) -> str:
    """A printable stand-in for a hostile name, short enough in bytes, so the copy can be opened and read."""
    cleaned = "".join(c if c.isprintable() and c not in "/\\" else "_" for c in name).lstrip(".")
    return cut_to_bytes(cleaned, SAFE_NAME_BYTES) or "unnamed"


def move_out(entry: Path, target: Path) -> None:
    """Move an inbox entry without reading through it: a link stays a link, a pipe is never opened."""
    try:
        os.rename(entry, target)
        return
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
    mode = os.lstat(entry).st_mode
    if stat.S_ISLNK(mode):
        os.symlink(os.readlink(entry), target)
        os.unlink(entry)
    elif stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        shutil.move(str(entry), str(target), copy_function=shutil.copy2)
    else:  # a pipe, socket or device on another file system holds no bytes to keep
        os.unlink(entry)


def quarantine(entry: Path, rejected: Rejected, folder: Path, register: Register, actor: str) -> Path:
    """Move `entry` into `folder` with `<name>.reason.txt`, and record why; return where it went."""
    folder.mkdir(parents=True, exist_ok=True)
    target = free_name(folder, safe_name(entry.name))
    move_out(entry, target)
    reason = target.with_name(target.name + REASON_SUFFIX)
    shown = entry.name.encode("utf-8", "backslashreplace").decode("utf-8")
    with contextlib.suppress(OSError):  # a full disk must not keep the entry in the inbox: it has left it
        reason.write_text(f"{rejected.text()}file: {shown!r}\nat: {datetime.now().astimezone():%Y-%m-%dT%H:%M:%S%z}\n",
                          encoding="utf-8")
    register.add_event(None, actor, "quarantined",
                       {"name": shown, "moved_to": target.name, "code": str(rejected.code),
                        "reason": rejected.english})
    return target
