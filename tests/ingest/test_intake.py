"""A file or a folder becomes one intake, pages in the order people number them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.intake import assemble, natural_key
from ingest.rejection import Rejected
from tests.conftest import BIRTH_FORM, save_scan


def test_folder_pages_follow_natural_order(tmp_path: Path) -> None:
    folder = tmp_path / "000.00.21.H39-250312-0007"
    for n in (10, 2, 1):
        save_scan(folder / f"page-{n}.jpg", [[f"trang {n}"]])
    (folder / ".DS_Store").write_bytes(b"x")
    intake = assemble(folder)
    assert [f.path.name for f in intake.files] == ["page-1.jpg", "page-2.jpg", "page-10.jpg"]
    assert intake.pages == 3
    assert intake.code == "000.00.21.H39-250312-0007"


def test_same_bytes_same_fingerprint(tmp_path: Path) -> None:
    a = save_scan(tmp_path / "a.pdf", [BIRTH_FORM])
    b = tmp_path / "b.pdf"
    b.write_bytes(a.read_bytes())
    assert assemble(a).fingerprint == assemble(b).fingerprint


def test_one_bad_page_refuses_the_folder_and_names_the_page(tmp_path: Path) -> None:
    folder = tmp_path / "dossier"
    save_scan(folder / "page-1.jpg", [BIRTH_FORM])
    (folder / "page-2.jpg").write_bytes(b"")
    with pytest.raises(Rejected) as caught:
        assemble(folder)
    assert caught.value.english.startswith("page-2.jpg:")


def test_natural_key() -> None:
    assert sorted(["p10", "p9", "P1"], key=natural_key) == ["P1", "p9", "p10"]
