"""Turning one inbox entry (a file, or a folder dropped as a unit) into one dossier intake.

A folder's pages follow the natural order of their names (page-2 before page-10), as people
number them. Its fingerprint is the hash of its files' hashes in that order, so dropping the same
bytes again is recognised whether it comes as a file or as a folder.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.code import code_from_name
from ingest.names import check_name, is_temporary
from ingest.rejection import Rejected
from ingest.validate import DEFAULT_LIMITS, CheckedFile, Limits, check_file
from storage.objects import sha256_file


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


def natural_key(name: str) -> list[object]:
    """Sort key that orders page-2 before page-10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def folder_files(folder: Path) -> list[Path]:
    """The page files of a folder dossier, in natural order; hidden and temporary files skipped."""
    return sorted((p for p in folder.iterdir() if p.is_file() and not is_temporary(p.name)),
                  key=lambda p: natural_key(p.name))


def assemble(source: Path, limits: Limits = DEFAULT_LIMITS) -> Intake:
    """Validate and hash a dropped file or folder; raise `Rejected` if any part is unusable."""
    check_name(source.name)
    if source.is_dir():
        paths = folder_files(source)
        if not paths:
            raise Rejected("empty-folder", "The folder holds no page files. Put the scanned pages in it.",
                           "Thư mục không có tệp trang nào. Hãy đặt các trang đã quét vào thư mục.")
        if any(p.is_dir() for p in source.iterdir()):
            raise Rejected("nested-folder", "The folder holds other folders. Drop one folder per dossier.",
                           "Thư mục chứa thư mục con. Mỗi hồ sơ hãy đặt trong một thư mục riêng.")
    else:
        paths = [source]
    files = []
    for ordinal, path in enumerate(paths, start=1):
        try:
            checked = check_file(path, limits)
        except Rejected as rejected:
            if source.is_dir():
                rejected.english = f"{path.name}: {rejected.english}"
                rejected.vietnamese = f"{path.name}: {rejected.vietnamese}"
            raise
        files.append(IntakeFile(checked=checked, sha256=sha256_file(path), ordinal=ordinal))
    if len(files) == 1:
        fingerprint = files[0].sha256
    else:
        fingerprint = hashlib.sha256("\n".join(f.sha256 for f in files).encode()).hexdigest()
    return Intake(source=source, files=tuple(files), fingerprint=fingerprint, code=code_from_name(source.name))
