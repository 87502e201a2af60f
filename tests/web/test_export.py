"""The archivist's "Xuất gói lưu trữ": the dossier's E-ARK package as one ZIP, scoped like every read,
audited as an export, and no copy of it left on the server."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from archive import verify_package
from archive.package import DIGITIZED, ORIGINALS
from storage.audit import Audit
from storage.vocabulary import Action
from tests.web.conftest import CODE_A, Site, signed_in

pytestmark = pytest.mark.slow  # the site is OCRed once per module
BUTTON = "Xuất gói lưu trữ"


def exports(site: Site) -> list[dict]:
    return Audit(site.services.register).recent(action="export")[0]


def test_the_archivist_downloads_the_package_and_the_export_is_audited(site: Site, tmp_path: Path) -> None:
    archivist, csrf = signed_in(site, "luu.tru")
    dossier = site.dossiers[CODE_A]
    assert BUTTON in archivist.get(f"/dossiers/{dossier}").text
    answer = archivist.post(f"/dossiers/{dossier}/archive", data={"csrf": csrf})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert f'filename="{CODE_A}.zip"' in answer.headers["content-disposition"]
    package = tmp_path / f"{CODE_A}.zip"
    package.write_bytes(answer.content)
    report = verify_package(package)
    assert report.ok, report.problems
    assert report.package_id == CODE_A
    with zipfile.ZipFile(package) as z:
        names = z.namelist()
    assert any(n.endswith(f"representations/{ORIGINALS}/data/{CODE_A}.pdf") for n in names), names
    assert any(n.endswith(f"representations/{DIGITIZED}/data/{CODE_A}.01.pdf") for n in names), names

    (row, *_) = exports(site)
    assert row["actor"] == "luu.tru" and row["dossiers"] == [dossier]
    assert row["detail"]["package"] == f"{CODE_A}.zip"
    assert row["detail"]["sha256"] == hashlib.sha256(answer.content).hexdigest()
    logged = site.services.register.events(dossier, action=Action.ARCHIVE_EXPORTED)
    assert logged and logged[-1].actor == "web:luu.tru"
    assert "Đã xuất gói lưu trữ" in archivist.get(f"/dossiers/{dossier}").text  # in the dossier's history
    work = site.settings.work
    assert not [p for p in work.iterdir() if p.name.startswith("archive-")]  # the package went with the response


def test_only_archivists_of_the_agency_export_and_only_with_the_form_token(site: Site) -> None:
    dossier = site.dossiers[CODE_A]
    before = len(exports(site)), len(site.services.register.events(dossier, action=Action.ARCHIVE_EXPORTED))
    other, other_csrf = signed_in(site, "luu.tru.b")
    assert other.post(f"/dossiers/{dossier}/archive", data={"csrf": other_csrf}).status_code == 404
    reviewer, reviewer_csrf = signed_in(site, "phan.loai")
    assert BUTTON not in reviewer.get(f"/dossiers/{dossier}").text
    assert reviewer.post(f"/dossiers/{dossier}/archive", data={"csrf": reviewer_csrf}).status_code == 403
    archivist, csrf = signed_in(site, "luu.tru")
    assert archivist.post(f"/dossiers/{dossier}/archive").status_code == 403
    assert archivist.post(f"/dossiers/{dossier}/archive", data={"csrf": "x" + csrf}).status_code == 403
    assert (len(exports(site)), len(site.services.register.events(dossier, action=Action.ARCHIVE_EXPORTED))) == before
