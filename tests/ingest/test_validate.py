"""Every kind of bad input a counter produces is refused with a reason a person can act on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from ingest.rejection import Rejected
from ingest.validate import DEFAULT_LIMITS, Limits, check_file
from tests.conftest import BIRTH_FORM, save_scan


def refusal(path: Path, limits: Limits = DEFAULT_LIMITS) -> Rejected:
    with pytest.raises(Rejected) as caught:
        check_file(path, limits)
    return caught.value


@pytest.mark.parametrize("name", ["ho-so.pdf", "ho-so.tif", "ho-so.jpg", "ho-so.png"])
def test_every_scanner_format_is_accepted_with_its_page_count(tmp_path: Path, name: str) -> None:
    pages = [BIRTH_FORM, ["trang hai"]] if name.endswith((".pdf", ".tif")) else [BIRTH_FORM]
    checked = check_file(save_scan(tmp_path / name, pages))
    assert checked.pages == len(pages)
    assert checked.extension == name.rsplit(".", 1)[1]


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.pdf").write_bytes(b"")
    rejected = refusal(tmp_path / "empty.pdf")
    assert rejected.code == "empty" and "Scan the dossier again" in rejected.english
    assert "quét lại" in rejected.vietnamese


def test_truncated_pdf(tmp_path: Path) -> None:
    whole = save_scan(tmp_path / "whole.pdf", [BIRTH_FORM, BIRTH_FORM]).read_bytes()
    (tmp_path / "cut.pdf").write_bytes(whole[: len(whole) // 3])
    rejected = refusal(tmp_path / "cut.pdf")
    assert rejected.code == "incomplete-pdf" and rejected.may_be_unfinished


def test_garbage_behind_a_pdf_header(tmp_path: Path) -> None:
    (tmp_path / "junk.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\nstartxref\n9\n%%EOF\n")
    assert refusal(tmp_path / "junk.pdf").code == "corrupt-pdf"


def test_password_protected_pdf(tmp_path: Path) -> None:
    plain = save_scan(tmp_path / "plain.pdf", [BIRTH_FORM])
    with pikepdf.open(plain) as pdf:
        pdf.save(tmp_path / "locked.pdf", encryption=pikepdf.Encryption(owner="o", user="secret"))
    rejected = refusal(tmp_path / "locked.pdf")
    assert rejected.code == "encrypted" and "without a password" in rejected.english


def test_renamed_executable_is_not_a_pdf(tmp_path: Path) -> None:
    shutil.copy("/bin/true", tmp_path / "ho-so.pdf")
    assert refusal(tmp_path / "ho-so.pdf").code == "unsupported-type"


def test_truncated_jpeg(tmp_path: Path) -> None:
    whole = save_scan(tmp_path / "whole.jpg", [BIRTH_FORM]).read_bytes()
    (tmp_path / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    assert refusal(tmp_path / "cut.jpg").code == "corrupt-image"


def test_image_past_the_pixel_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    Image.new("1", (4000, 4000), 1).save(tmp_path / "huge.png")
    rejected = refusal(tmp_path / "huge.png", Limits(max_pixels=10_000_000))
    assert rejected.code == "too-many-pixels"


def test_real_decompression_bomb(tmp_path: Path) -> None:
    """A 1-bit PNG of 30000 x 30000 pixels is 100 KB on disk and 900 megapixels decoded."""
    Image.new("1", (30000, 30000), 1).save(tmp_path / "bomb.png", optimize=True)
    assert (tmp_path / "bomb.png").stat().st_size < 2_000_000
    assert refusal(tmp_path / "bomb.png").code == "too-many-pixels"


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = save_scan(tmp_path / "big.pdf", [BIRTH_FORM])
    rejected = refusal(path, Limits(max_bytes=1000))
    assert rejected.code == "too-large"


@pytest.mark.parametrize("name", ["ho\x07so.pdf", "ho\u202eso.pdf", "a" * 230 + ".pdf", "ho\\so.pdf"])
def test_hostile_names(tmp_path: Path, name: str) -> None:
    path = tmp_path / "x.pdf"
    save_scan(path, [BIRTH_FORM])
    hostile = path.rename(tmp_path / name)
    assert refusal(hostile).code in ("hostile-name", "name-too-long")
