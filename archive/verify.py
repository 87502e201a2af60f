"""Checking a package against its own METS: every file there, of the size and SHA-256 recorded, and no other.

Works on a folder or a ZIP (read entry by entry, never unpacked whole), follows the root METS to
each representation's METS, and reports problems in words instead of raising, so a damaged or
crafted package is described, not crashed on. What the files mean (PDF/A, signatures) is checked by
whoever calls this with the list of files it returns.
"""

from __future__ import annotations

import hashlib
import posixpath
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from archive.xml import METS, XLINK, q

CHUNK = 1 << 20


@dataclass(frozen=True)
class PackagedFile:
    """A file the METS lists: its path from the package root and its declared type."""

    path: str
    media_type: str


@dataclass
class PackageReport:
    package_id: str = ""
    problems: list[str] = field(default_factory=list)
    files: list[PackagedFile] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Folder:
    def __init__(self, root: Path) -> None:
        self.root = root

    def names(self) -> set[str]:
        return {p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()}

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        with (self.root / name).open("rb") as f:
            yield f


class _Zip:
    def __init__(self, archive: zipfile.ZipFile, prefix: str) -> None:
        self.archive, self.prefix = archive, prefix

    def names(self) -> set[str]:
        return {i.filename[len(self.prefix):] for i in self.archive.infolist()
                if not i.is_dir() and i.filename.startswith(self.prefix)}

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        with self.archive.open(self.prefix + name) as f:
            yield f


@contextmanager
def open_package(path: Path) -> Iterator[_Folder | _Zip]:
    """The package at `path`, a folder or a ZIP whose entries all sit under one root folder."""
    if path.is_dir():
        yield _Folder(path)
        return
    with zipfile.ZipFile(path) as archive:
        roots = {name.split("/", 1)[0] for name in archive.namelist()}
        if len(roots) != 1:
            raise ValueError(f"{path.name}: a package ZIP must hold one root folder, it holds {len(roots)}")
        yield _Zip(archive, f"{roots.pop()}/")


def verify_package(path: Path) -> PackageReport:
    """Every problem of the package at `path` with its METS files, in words; `ok` when there is none."""
    report = PackageReport()
    try:
        with open_package(path) as package:
            present = package.names()
            listed = {"METS.xml"}
            root = _parse(package, "METS.xml", report)
            if root is None:
                return report
            report.package_id = root.get("OBJID", "")
            for href, attrs in _references(root):
                listed.add(href)
                _check(package, href, attrs, present, report)
                if href.endswith("/METS.xml") and href.startswith("representations/") and href in present:
                    _check_representation(package, href, present, listed, report)
            for extra in sorted(present - listed):
                report.problems.append(f"{extra}: in the package but in no METS file")
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        report.problems.append(f"{path.name}: cannot be read as a package ({error})")
    return report


def _check_representation(package: _Folder | _Zip, mets_href: str, present: set[str], listed: set[str],
                          report: PackageReport) -> None:
    base = posixpath.dirname(mets_href)
    mets = _parse(package, mets_href, report)
    if mets is None:
        return
    for href, attrs in _references(mets):
        path = posixpath.normpath(posixpath.join(base, href))
        listed.add(path)
        _check(package, path, attrs, present, report)


def _parse(package: _Folder | _Zip, name: str, report: PackageReport) -> ET.Element | None:
    try:
        with package.open(name) as f:
            return ET.parse(f).getroot()
    except (KeyError, FileNotFoundError):
        report.problems.append(f"{name}: missing")
    except ET.ParseError as error:
        report.problems.append(f"{name}: not well-formed XML ({error})")
    return None


def _references(mets: ET.Element) -> Iterator[tuple[str, dict[str, str]]]:
    """(href, attributes) of every file and metadata file a METS document points at."""
    for element in mets.iter(q(METS, "mdRef")):
        yield element.get(q(XLINK, "href"), ""), dict(element.attrib)
    for element in mets.iter(q(METS, "file")):
        location = element.find(q(METS, "FLocat"))
        href = location.get(q(XLINK, "href"), "") if location is not None else ""
        yield href, dict(element.attrib)


def _check(package: _Folder | _Zip, href: str, attrs: dict[str, str], present: set[str],
           report: PackageReport) -> None:
    if not href or href.startswith("/") or ".." in href.split("/"):
        report.problems.append(f"{href!r}: not a path inside the package")
        return
    if href not in present:
        report.problems.append(f"{href}: listed in the METS but missing")
        return
    report.files.append(PackagedFile(href, attrs.get("MIMETYPE", "")))
    if attrs.get("CHECKSUMTYPE") != "SHA-256":
        report.problems.append(f"{href}: checksum type {attrs.get('CHECKSUMTYPE')!r}, expected SHA-256")
        return
    digest, size = hashlib.sha256(), 0
    with package.open(href) as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    if digest.hexdigest() != attrs.get("CHECKSUM", "").lower():
        report.problems.append(f"{href}: SHA-256 differs from the METS (the file changed)")
    elif str(size) != attrs.get("SIZE"):
        report.problems.append(f"{href}: size {size} differs from the METS ({attrs.get('SIZE')})")
