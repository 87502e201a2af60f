"""The archive stage alone: plain facts in, a package out; changed sources and crafted packages refused."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from archive import Document, DossierFacts, PackageError, PackageFile, verify_package, write_package
from tests.conftest import BIRTH_FORM, save_scan


def package_file(path: Path, name: str, media_type: str) -> PackageFile:
    data = path.read_bytes()
    return PackageFile(path, name, media_type, hashlib.sha256(data).hexdigest(), len(data), datetime.now(UTC))


def facts(tmp_path: Path, package_id: str = "H57.132-260804-0583") -> DossierFacts:
    scan = save_scan(tmp_path / "scan.png", [BIRTH_FORM], dpi=60)
    copy = save_scan(tmp_path / "copy.pdf", [BIRTH_FORM], dpi=60)
    return DossierFacts(package_id=package_id, file_code=package_id, title="Hồ sơ đăng ký khai sinh",
                        maintenance="Vĩnh viễn", rights="Hạn chế", creator="UBND xã Bình Thạnh", language="Tiếng Việt",
                        start_date=date(2026, 8, 4), end_date=date(2026, 8, 5),
                        originals=[package_file(scan, "scan.png", "image/png")],
                        documents=[Document(1, "Bản sao điện tử", "Đăng ký khai sinh", "UBND xã Bình Thạnh", 1,
                                            package_file(copy, f"{package_id}.01.pdf", "application/pdf"))])


def test_a_source_changed_since_it_was_stored_stops_the_package(tmp_path: Path) -> None:
    dossier = facts(tmp_path)
    dossier.originals[0].source.write_bytes(dossier.originals[0].source.read_bytes() + b"x")
    with pytest.raises(PackageError, match="not those stored"):
        write_package(dossier, tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == []  # no half package left behind


def test_a_package_id_that_is_not_a_folder_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="cannot name a package"):
        write_package(facts(tmp_path, "../escape"), tmp_path / "out")


def test_verify_reports_missing_extra_and_outside_files(tmp_path: Path) -> None:
    package = write_package(facts(tmp_path), tmp_path / "out").path
    assert verify_package(package).ok
    (package / "representations/rep1/data/scan.png").unlink()
    (package / "stray.txt").write_text("?")
    mets = package / "METS.xml"
    mets.write_text(mets.read_text(encoding="utf-8").replace('xlink:href="documentation/huong-dan.txt"',
                                                              'xlink:href="../../etc/passwd"'), encoding="utf-8")
    problems = verify_package(package).problems
    assert "representations/rep1/data/scan.png: listed in the METS but missing" in problems
    assert "stray.txt: in the package but in no METS file" in problems
    assert "'../../etc/passwd': not a path inside the package" in problems


def test_verify_describes_a_package_that_is_not_one(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    assert verify_package(folder).problems == ["METS.xml: missing"]
    (folder / "METS.xml").write_text("<mets", encoding="utf-8")
    assert verify_package(folder).problems[0].startswith("METS.xml: not well-formed XML")
