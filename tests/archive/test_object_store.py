"""Export reads the stored files from whichever object store holds them: here MinIO/S3 (moto on loopback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import verify_package
from settings import Settings
from storage.objects import sha256_file
from tests.conftest import BIRTH_FORM, save_scan
from tests.servers import S3Server, fresh_bucket, s3_server  # noqa: F401  (fixture)
from workers.archive import Outcome, export_dossier, verify_archive_package
from workers.services import Services


def stored_dossier(services: Services, tmp_path: Path) -> int:
    """A dossier registered with an original and a digitized copy in the object store (no OCR needed)."""
    register, objects = services.register, services.objects
    dossier = register.create_dossier(fingerprint="a" * 64, source_name="ho-so.png", agency="H00",
                                      code="H00-260804-0001", station=None, actor="test")
    for role, path, media_type in (("original", save_scan(tmp_path / "ho-so.png", [BIRTH_FORM], dpi=60), "image/png"),
                                   ("digitized", save_scan(tmp_path / "copy.pdf", [BIRTH_FORM], dpi=60),
                                    "application/pdf")):
        sha = sha256_file(path)
        key = f"H00/2026/08/{dossier.id}/{role}/{sha}{path.suffix}"
        info = objects.put(key, path, sha, media_type)
        register.add_file(dossier.id, role=role, name=path.name, object_key=key, sha256=info.sha256,
                          size=info.size, media_type=media_type)
    register.update(dossier.id, page_count=1, state="digitized")
    return dossier.id


def test_export_from_s3_downloads_verifies_and_cleans_up(s3_server: S3Server, tmp_path: Path,  # noqa: F811
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_S3_ENDPOINT", s3_server.endpoint)
    monkeypatch.setenv("SOHOA_S3_ACCESS_KEY", s3_server.access_key)
    monkeypatch.setenv("SOHOA_S3_SECRET_KEY", s3_server.secret_key)
    monkeypatch.setenv("SOHOA_S3_BUCKET", fresh_bucket())
    services = Services(Settings())
    dossier_id = stored_dossier(services, tmp_path)
    exported = export_dossier(dossier_id, services, tmp_path / "out", as_zip=True)
    assert exported.outcome is Outcome.written and exported.package is not None
    assert exported.package.name == "H00-260804-0001.zip"
    assert verify_package(exported.package).ok
    checked = verify_archive_package(exported.package)  # this stand-in copy is a plain PDF, not PDF/A
    assert checked.problems and all("01.pdf: not PDF/A-2b" in p for p in checked.problems), checked.problems
    assert list(services.settings.work.iterdir()) == []  # the downloads went with the dossier's scratch folder
    assert export_dossier(dossier_id, services, tmp_path / "out", as_zip=True).outcome is Outcome.skipped
