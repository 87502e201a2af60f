"""Writing one dossier's E-ARK SIP, as a folder or a ZIP, a file at a time.

Files are streamed from their sources into the package and hashed on the way (bounded memory
whatever their size); a byte that differs from the checksum the register recorded stops the package
rather than archive a changed file. Everything is written under a hidden `.<id>.partial` folder and
moved into place last, so a crash never leaves a half package under the package's own name.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path, PurePosixPath

from archive import descriptive, premis
from archive.facts import CsipVersion, DossierFacts, PackageFile
from archive.mets import Entry, Header, representation_mets, root_mets

CHUNK = 1 << 20
ORIGINALS, DIGITIZED = "rep1", "rep2"
DOCUMENTATION = "huong-dan.txt"
# Stored as they are in a ZIP: already compressed, deflating them again costs time and saves nothing.
STORED_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".zip"}


class PackageError(Exception):
    """A package cannot be written as asked; the message says which file or fact is at fault."""


@dataclass(frozen=True)
class Written:
    path: Path
    files: int
    bytes: int


def package_name(facts: DossierFacts, *, as_zip: bool) -> str:
    return f"{facts.package_id}.zip" if as_zip else facts.package_id


def write_package(facts: DossierFacts, out_dir: Path, *, version: CsipVersion = CsipVersion.V2_0_4,
                  as_zip: bool = False, now: datetime | None = None) -> Written:
    """Write the SIP of `facts` into `out_dir` (named by its package id) and return where it is.

    An existing package of the same name is replaced only once the new one is complete.
    """
    _check_id(facts.package_id)
    now = now or datetime.now(UTC)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = out_dir / f".{facts.package_id}.partial"
    shutil.rmtree(work, ignore_errors=True)
    root = work / facts.package_id
    try:
        count, size = _build(facts, root, version, now)
        final = out_dir / package_name(facts, as_zip=as_zip)
        if as_zip:
            archive = work / "package.zip"
            _zip(root, archive)
            os.replace(archive, final)
        else:
            if final.exists():
                shutil.rmtree(final)
            os.replace(root, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Written(final, count, size)


def _build(facts: DossierFacts, root: Path, version: CsipVersion, now: datetime) -> tuple[int, int]:
    header = Header(facts.package_id, facts.title, now, facts.software, facts.software_version, version,
                    submitter=facts.creator, submitter_code=facts.creator_code)
    representations = []
    objects: list[premis.PremisObject] = []
    document_paths = {}
    for rep, files, kind in ((ORIGINALS, facts.originals, "ORIGINAL"),
                             (DIGITIZED, [d.file for d in facts.documents], "DIGITIZED")):
        base = root / "representations" / rep
        entries, rep_objects = [], []
        for file in files:
            entry = _copy(file, base / "data" / file.name, f"data/{file.name}")
            entries.append(entry)
            rep_objects.append(premis.PremisObject(f"representations/{rep}/{entry.href}", file.name,
                                                   file.media_type, entry.sha256, entry.size))
        objects += rep_objects
        # the representation's own PREMIS: its files and the events that made or checked them
        paths = {o.path for o in rep_objects}
        rep_events = [e for e in facts.events if paths.intersection(e.objects)]
        rep_premis = _write(base / "metadata" / "preservation" / premis.FILE_NAME,
                            premis.premis_xml(rep_objects, rep_events, facts.agents),
                            f"metadata/preservation/{premis.FILE_NAME}", now)
        if rep == DIGITIZED:
            document_paths = {d.ordinal: f"representations/{rep}/data/{d.file.name}" for d in facts.documents}
        rep_header = Header(rep, f"{facts.title} ({rep})", now, facts.software, facts.software_version, version)
        mets = _write(base / "METS.xml", representation_mets(rep_header, entries, kind, rep_premis), "METS.xml", now)
        representations.append((rep, Entry(f"representations/{rep}/METS.xml", mets.media_type, mets.size,
                                           mets.sha256, now)))

    described = _write(root / "metadata" / "descriptive" / descriptive.FILE_NAME,
                       descriptive.descriptive_xml(facts, document_paths),
                       f"metadata/descriptive/{descriptive.FILE_NAME}", now)
    preserved = _write(root / "metadata" / "preservation" / premis.FILE_NAME,
                       premis.premis_xml(objects, facts.events, facts.agents),
                       f"metadata/preservation/{premis.FILE_NAME}", now)
    data = resources.files("archive.data")
    guide = _write(root / "documentation" / DOCUMENTATION, data.joinpath(DOCUMENTATION).read_bytes(),
                   f"documentation/{DOCUMENTATION}", now, "text/plain")
    schema = _write(root / "schemas" / descriptive.SCHEMA_NAME, data.joinpath(descriptive.SCHEMA_NAME).read_bytes(),
                    f"schemas/{descriptive.SCHEMA_NAME}", now)
    _write(root / "METS.xml", root_mets(header, descriptive=described,
                                        descriptive_type=(descriptive.MDTYPE, descriptive.OTHERMDTYPE),
                                        preservation=preserved, documentation=[guide], schemas=[schema],
                                        representations=representations), "METS.xml", now)
    on_disk = [p for p in root.rglob("*") if p.is_file()]
    return len(on_disk), sum(p.stat().st_size for p in on_disk)


def _copy(file: PackageFile, dest: Path, href: str) -> Entry:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        raise PackageError(f"two files of the dossier are both named {file.name!r}")
    digest, size = hashlib.sha256(), 0
    with file.source.open("rb") as src, dest.open("wb") as out:
        while chunk := src.read(CHUNK):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    sha = digest.hexdigest()
    if sha != file.sha256.lower() or size != file.size:
        raise PackageError(f"{file.name}: its bytes are not those stored (SHA-256 {sha}, expected {file.sha256})")
    return Entry(href, file.media_type, size, sha, file.created)


def _write(path: Path, data: bytes, href: str, now: datetime, media_type: str = "application/xml") -> Entry:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return Entry(href, media_type, len(data), hashlib.sha256(data).hexdigest(), now)


def _zip(root: Path, archive: Path) -> None:
    """One root folder named by the package id, as CSIP asks of a compressed package."""
    with zipfile.ZipFile(archive, "w", allowZip64=True) as z:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = str(PurePosixPath(root.name, *path.relative_to(root).parts))
            method = zipfile.ZIP_STORED if path.suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
            z.write(path, name, compress_type=method)


_SAFE_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,127}$")


def _check_id(package_id: str) -> None:
    if not _SAFE_ID.match(package_id):
        raise PackageError(f"{package_id!r} cannot name a package: letters, digits, '.', '-' and '_' only")
