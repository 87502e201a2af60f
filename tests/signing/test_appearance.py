"""The Vietnamese stamp: rendered with pdftoppm, read back, and measured."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageFont

from signing import CopyAppearance, SignatureAppearance
from signing.fonts import NOTO_SANS
from tests.signing.conftest import p12_session
from tests.signing.testpki import LivePki

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # a 2048-unit em


def _lines(pdf: Path, page: int) -> list[tuple[str, float, float, float, float]]:
    """(text, xmin, ymin, xmax, ymax) in points, top-left origin, from pdftotext's bounding boxes.

    pdftotext reports each stamp line as one "word": the stamp spaces words by glyph positions.
    """
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout
    return [(unicodedata.normalize("NFC", w), float(a), float(b), float(c), float(d)) for a, b, c, d, w in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)]


def _expected_width(text: str, size: float = 10) -> float:
    return ImageFont.truetype(str(NOTO_SANS), 1000).getlength(text) * size / 1000


@pytest.mark.parametrize("font", [NOTO_SANS, DEJAVU], ids=["noto-1000-em", "dejavu-2048-em"])
def test_stamp_text_is_vietnamese_and_not_double_width(pki: LivePki, result_pdf: bytes, tmp_path: Path,
                                                       font: Path) -> None:
    stamp = SignatureAppearance(name="Nguyễn Văn Ưng", title="KT. CHỦ TỊCH", agency="UBND xã Bình Thạnh")
    with p12_session(pki, "official", font=font) as session:
        signed = session.sign(result_pdf, stamp)
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed.pdf)
    lines = {text: (x0, x1) for text, x0, _, x1, _ in _lines(path, 2)}
    for expected in ("KT. CHỦ TỊCH", "UBND xã Bình Thạnh", "Nguyễn Văn Ưng", signed.signed_at):
        assert expected in lines
    x0, x1 = lines["Nguyễn Văn Ưng"]
    # Same size in both fonts, so about the same width (their designs differ a little); never twice as wide.
    assert 0.8 * _expected_width("Nguyễn Văn Ưng") < x1 - x0 < 1.25 * _expected_width("Nguyễn Văn Ưng")


@pytest.mark.slow
def test_stamp_pixels_read_back_as_vietnamese(pki: LivePki, result_pdf: bytes, tmp_path: Path) -> None:
    """What the eye sees: render the stamp at 300 dpi and OCR it in Vietnamese."""
    stamp = SignatureAppearance(name="Nguyễn Văn An", title="CHỦ TỊCH", agency="UBND xã Bình Thạnh",
                                box=(300, 60, 560, 160))
    with p12_session(pki, "official", font_size=12) as session:
        signed = session.sign(result_pdf, stamp)
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed.pdf)
    subprocess.run(["pdftoppm", "-f", "2", "-l", "2", "-r", "300", "-png", "-singlefile", str(path),
                    str(tmp_path / "page")], check=True)
    page = Image.open(tmp_path / "page.png")
    scale = 300 / 72
    height = page.height
    page.crop((int(300 * scale), int(height - 160 * scale), int(560 * scale), int(height - 60 * scale))).save(
        tmp_path / "stamp.png")
    ocr = subprocess.run(["tesseract", str(tmp_path / "stamp.png"), "-", "-l", "vie", "--psm", "6"],
                         check=True, capture_output=True, text=True).stdout
    ocr = unicodedata.normalize("NFC", ocr)
    for expected in ("Nguyễn Văn An", "CHỦ TỊCH", "Bình Thạnh"):
        assert expected in ocr, ocr


def test_images_sit_between_title_and_name(pki: LivePki, result_pdf: bytes, tmp_path: Path) -> None:
    sig = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    sig.paste((20, 40, 200, 255), (10, 50, 290, 70))  # a blue stroke
    seal = Image.new("RGBA", (150, 150), (0, 0, 0, 0))
    seal.paste((220, 20, 20, 255), (10, 10, 140, 140))  # a red disc, roughly
    sig.save(tmp_path / "sig.png")
    seal.save(tmp_path / "seal.png")
    stamp = SignatureAppearance(name="Nguyễn Văn An", title="CHỦ TỊCH", agency="UBND xã Bình Thạnh",
                                signature_image=tmp_path / "sig.png", seal_image=tmp_path / "seal.png",
                                box=(300, 60, 530, 210))
    with p12_session(pki, "official") as session:
        signed = session.sign(result_pdf, stamp)
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed.pdf)
    subprocess.run(["pdftoppm", "-f", "2", "-l", "2", "-r", "72", "-png", "-singlefile", str(path),
                    str(tmp_path / "page")], check=True)
    page = Image.open(tmp_path / "page.png").convert("RGB")
    lines = {text: (y0, y1) for text, _, y0, _, y1 in _lines(path, 2)}
    title_bottom, name_top = lines["UBND xã Bình Thạnh"][1], lines["Nguyễn Văn An"][0]
    reds = [y for y in range(page.height) for x in range(300, 530, 3)
            if (lambda p: p[0] > 180 and p[1] < 80 and p[2] < 80)(page.getpixel((x, y)))]
    blues = [y for y in range(page.height) for x in range(300, 530, 3)
             if (lambda p: p[2] > 180 and p[0] < 80)(page.getpixel((x, y)))]
    assert reds and blues
    assert title_bottom <= min(reds + blues) and max(reds + blues) <= name_top


def test_digitized_copy_stamp_is_upper_right_of_page_one(pki: LivePki, result_pdf: bytes, tmp_path: Path) -> None:
    with p12_session(pki, "seal") as session:
        signed = session.sign(result_pdf, CopyAppearance(agency="UBND xã Bình Thạnh"))
    path = tmp_path / "copy.pdf"
    path.write_bytes(signed.pdf)
    expected = ("Sao y từ văn bản giấy sang văn bản điện tử", "UBND xã Bình Thạnh", signed.signed_at)
    lines = [line for line in _lines(path, 1) if line[0] in expected]
    assert {line[0] for line in lines} == set(expected)
    page_width = 8.27 * 72
    assert all(x0 > page_width / 2 and y1 < 120 for _, x0, _, _, y1 in lines)
