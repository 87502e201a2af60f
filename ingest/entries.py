"""What an inbox entry is, found without ever following a link or opening a special file.

A scanner station writes regular files and folders. A symbolic link in the inbox (or in a folder
dossier) is someone's mistake or an attack: following it would store bytes from outside the inbox,
or stat a place the service may not read (`/proc/1/cwd`), so links are refused, never read
through. FIFOs, sockets and device files would block a reader forever or stream without end:
refused too. Everything here uses `lstat` and `scandir` without following links, and a folder is
listed at most `MAX_LISTED` entries deep, so a folder of 126,000 files costs one bounded listing.
"""

from __future__ import annotations

import os
import stat
from enum import StrEnum
from pathlib import Path

from ingest.rejection import Refusal, Rejected

MAX_LISTED = 5000


class EntryKind(StrEnum):
    FILE = "file"
    FOLDER = "folder"
    LINK = "link"
    SPECIAL = "special"


def kind_of(path: Path) -> EntryKind | None:
    """The entry's kind from `lstat` (links never followed); None when it is gone."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    return mode_kind(mode)


def mode_kind(mode: int) -> EntryKind:
    if stat.S_ISLNK(mode):
        return EntryKind.LINK
    if stat.S_ISDIR(mode):
        return EntryKind.FOLDER
    if stat.S_ISREG(mode):
        return EntryKind.FILE
    return EntryKind.SPECIAL


def refusal_of(kind: EntryKind) -> Rejected | None:
    """Why an entry of this kind is never taken, or None for files and folders."""
    if kind is EntryKind.LINK:
        return Rejected(Refusal.LINK,
                        "This is a link to another place, not a scanned file. Copy the file itself into the inbox.",
                        "Đây là liên kết tới nơi khác, không phải tệp quét. Hãy sao chép chính tệp vào thư mục.")
    if kind is EntryKind.SPECIAL:
        return Rejected(Refusal.SPECIAL_FILE,
                        "This is not a regular file (a pipe, socket or device). Drop scanned files only.",
                        "Đây không phải tệp thông thường (ống, socket hoặc thiết bị). Chỉ đặt tệp quét vào.")
    return None


def listing(folder: Path, limit: int = MAX_LISTED) -> list[os.DirEntry[str]]:
    """The folder's entries (not followed), at most `limit` + 1 of them: one more says "too many"."""
    found: list[os.DirEntry[str]] = []
    with os.scandir(folder) as it:
        for item in it:
            found.append(item)
            if len(found) > limit:
                break
    return found


def refuse_too_many_files(limit: int) -> Rejected:
    return Rejected(Refusal.TOO_MANY_FILES,
                    f"The folder holds more than {limit} files. Drop one folder per dossier, its pages only.",
                    f"Thư mục chứa hơn {limit} tệp. Mỗi hồ sơ một thư mục, chỉ gồm các trang của hồ sơ.")
