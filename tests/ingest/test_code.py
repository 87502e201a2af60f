"""Dossier codes are read leniently from names, slip text and QR codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.code import code_from_image, code_from_name, code_from_text
from tests.conftest import SAMPLES


@pytest.mark.parametrize(("name", "code"), [
    ("000.00.21.H39-250312-0007.pdf", "000.00.21.H39-250312-0007"),
    ("H57.132-260804-0583", "H57.132-260804-0583"),
    ("H15.50.05.13-261008-0975.tif", "H15.50.05.13-261008-0975"),
    ("scan-0001.tif", None),
    ("ho so ba Lan.pdf", None),
])
def test_code_from_name(name: str, code: str | None) -> None:
    assert code_from_name(name) == code


def test_code_from_slip_text_with_ocr_noise_and_no_diacritics() -> None:
    assert code_from_text("GIẤY TIẾP NHẬN\nMã số hồ sơ: H15.50.05.13-261008-0975\n") == "H15.50.05.13-261008-0975"
    assert code_from_text("Ma so ho so : H57.132 - 260804 - 0583 ....") == "H57.132-260804-0583"
    assert code_from_text("no code on this page 12-34") is None


def test_digit_look_alikes_in_the_agency_code_are_read_as_digits() -> None:
    assert code_from_text("Mã hồ sơ: 000.00.17.HS7-250312-0841") == "000.00.17.H57-250312-0841"


def test_code_from_every_sample_truth_slip() -> None:
    """Every receipt slip of the public samples yields the code its manifest records."""
    manifest = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
    checked = 0
    for dossier in manifest["dossiers"]:
        for page in dossier["pages"]:
            if page["type"] == "receipt_slip":
                text = (SAMPLES / page["truth"]).read_text(encoding="utf-8")
                assert code_from_text(text) == dossier["dossier_code"], page["truth"]
                checked += 1
    assert checked >= 18


def test_code_from_qr(tmp_path: Path) -> None:
    import zxingcpp
    from PIL import Image

    qr = zxingcpp.write_barcode_to_image(zxingcpp.create_barcode("H22.186-250519-0516", zxingcpp.BarcodeFormat.QRCode))
    image = Image.new("L", (800, 800), 255)
    image.paste(Image.fromarray(qr).resize((300, 300), Image.NEAREST), (250, 250))
    image.save(tmp_path / "slip.png")
    assert code_from_image(tmp_path / "slip.png") == "H22.186-250519-0516"


def test_code_from_a_two_centimetre_qr_on_a_200_dpi_scan(tmp_path: Path) -> None:
    import zxingcpp
    from PIL import Image

    qr = zxingcpp.write_barcode_to_image(zxingcpp.create_barcode("H48.102-250424-0976", zxingcpp.BarcodeFormat.QRCode))
    page = Image.new("L", (1654, 2339), 235)  # A4 at 200 dpi, grey paper
    page.paste(Image.fromarray(qr).resize((157, 157), Image.NEAREST), (1400, 120))  # 2 cm wide
    page.save(tmp_path / "slip.jpg", quality=70, dpi=(200, 200))
    assert code_from_image(tmp_path / "slip.jpg", dpi=200) == "H48.102-250424-0976"
