"""Turning one inbox entry (a file, or a folder dropped as a unit) into one dossier intake.

A folder's pages follow the natural order of their names (page-2 before page-10), as people
number them. Its fingerprint is the hash of its files' hashes in that order, so dropping the same
bytes again is recognised whether it comes as a file or as a folder.
"""

from __future__ import annotations

import errno
import hashlib
from dataclasses import dataclass
from pathlib import Path

from ingest.code import code_from_name
from ingest.entries import EntryKind, kind_of, listing, mode_kind, refusal_of, refuse_too_many_files
from ingest.names import check_name, is_ignored
from ingest.rejection import Refusal, Rejected
from ingest.validate import DEFAULT_LIMITS, CheckedFile, Limits, check_file
from storage.objects import sha256_file
from vntext import natural_key


@dataclass(frozen=True)
class IntakeFile:
    checked: CheckedFile
    sha256: str
    ordinal: int

    @property
    def path(self) -> Path:
        return self.checked.path


@dataclass(frozen=True)
class Intake:
    """Everything known about a dropped dossier before it is stored."""

    source: Path
    files: tuple[IntakeFile, ...]
    fingerprint: str
    code: str | None

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def pages(self) -> int:
        return sum(f.checked.pages for f in self.files)

    @property
    def size(self) -> int:
        return sum(f.checked.size for f in self.files)


def folder_files(folder: Path, limits: Limits = DEFAULT_LIMITS) -> list[Path]:
    """The page files of a folder dossier, in natural order; temporary names and caches skipped.

    Read without following anything: a link, a pipe or a sub-folder in a dossier is refused with
    its name, never skipped without a word (a scanner station writes none of them), and a folder
    of more files than a dossier may have pages is refused after one bounded listing.
    """
    items = listing(folder, limits.max_pages)
    if len(items) > limits.max_pages:
        raise refuse_too_many_files(limits.max_pages)
    pages = []
    for item in items:
        if is_ignored(item.name):
            continue
        kind = mode_kind(item.stat(follow_symlinks=False).st_mode)
        if kind is EntryKind.FOLDER:
            raise Rejected(Refusal.NESTED_FOLDER, "The folder holds other folders. Drop one folder per dossier.",
                           "Thư mục chứa thư mục con. Mỗi hồ sơ hãy đặt trong một thư mục riêng.")
        if (refusal := refusal_of(kind)) is not None:
            raise refusal.within(item.name)
        pages.append(Path(item.path))
    return sorted(pages, key=lambda p: natural_key(p.name))


def assemble(source: Path, limits: Limits = DEFAULT_LIMITS) -> Intake:
    """Validate and hash a dropped file or folder; raise `Rejected` if any part is unusable.

    `OSError` (a file that cannot be opened yet, a folder that vanished) is raised as it is: the
    caller decides whether to try again.
    """
    check_name(source.name)
    kind = kind_of(source)
    if kind is None:
        raise FileNotFoundError(errno.ENOENT, "no such file or folder", str(source))
    if (refusal := refusal_of(kind)) is not None:
        raise refusal
    folder = kind is EntryKind.FOLDER
    if folder:
        paths = folder_files(source, limits)
        if not paths:
            raise Rejected(Refusal.EMPTY_FOLDER, "The folder holds no page files. Put the scanned pages in it.",
                           "Thư mục không có tệp trang nào. Hãy đặt các trang đã quét vào thư mục.")
    else:
        paths = [source]
    files = []
    for ordinal, path in enumerate(paths, start=1):
        try:
            checked = check_file(path, limits)
        except Rejected as rejected:
            raise rejected.within(path.name) if folder else rejected from None
        files.append(IntakeFile(checked=checked, sha256=sha256_file(path), ordinal=ordinal))
    if len(files) == 1:
        fingerprint = files[0].sha256
    else:
        fingerprint = hashlib.sha256("\n".join(f.sha256 for f in files).encode()).hexdigest()
    return Intake(source=source, files=tuple(files), fingerprint=fingerprint, code=code_from_name(source.name))
