"""Reading misread table cells again, alone: real Tesseract on a sample scan and on a drawn table."""

import subprocess
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr.layout import Box, Word
from ocr.pages import split_pages
from ocr.pdf import PdfMetadata, write_searchable_pdf
from ocr.pdfa import pdfa_problems
from ocr.recognize import recognize_page
from ocr.reread import reread_cells
from tests.conftest import SAMPLES
from tests.ocr.scans import DPI, FONT


def test_a_wrapped_cell_beside_one_line_cells_is_read_whole_in_the_text_and_the_searchable_pdf(tmp_path: Path):
    # a driver's medical certificate: Tesseract takes "Mạch 68 lần/phút; Huyết áp 133/73" over "mmHg"
    # and the "4 | Tim mạch" centred beside them for one line, and read alone it loses "Mạch 68" and "mmHg"
    page = split_pages([SAMPLES / "dossiers" / "scan-0025.pdf"], tmp_path)[1]
    result = recognize_page(page)
    assert any("Mạch 68 lần/phút; Huyết áp 133/73 mmHg" in row for row in result.text.split("\n"))
    copy = tmp_path / "copy.pdf"
    write_searchable_pdf([page], [result], copy, PdfMetadata(title="Giấy khám sức khỏe"))
    assert pdfa_problems(copy) == []
    layer = subprocess.run(["pdftotext", "-layout", str(copy), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert "mmHg" in layer and "Mạch 68 lần/phút; Huyết áp 133/73" in layer
    assert layer.count("Huyết áp") == 1  # the first reading of the cell is gone, not left under the second
    assert "KẾT LUẬN" in layer  # and the rest of the page is still there


def _table() -> tuple[np.ndarray, tuple[Box, ...], tuple[Box, ...]]:
    """A one-row table of two cells, its rules already erased as cleaning leaves it, and the rules."""
    font = ImageFont.truetype(FONT, int(12 * DPI / 72))
    page = Image.new("L", (1200, 200), 255)
    draw = ImageDraw.Draw(page)
    draw.text((70, 60), "Nơi cư trú", font=font, fill=0)
    draw.text((470, 60), "số 142/7 đường Trần Quốc Thảo", font=font, fill=0)
    horizontal = (Box(50, 39, 1150, 42), Box(50, 159, 1150, 162))
    vertical = (Box(49, 40, 52, 161), Box(449, 40, 452, 161), Box(1149, 40, 1152, 161))
    return np.asarray(page), horizontal, vertical


def test_a_cell_with_junk_is_replaced_by_its_reading_alone():
    image, horizontal, vertical = _table()
    first = [Word("Nữi", 70, 62, 60, 30, 28.0), Word("cưrú", 140, 62, 100, 30, 0.0),
             Word("số", 470, 62, 35, 30, 96.0), Word("142/7", 515, 62, 88, 30, 96.0)]
    words = reread_cells(image, first, horizontal, vertical, DPI, "vie", 60.0).words
    assert [w.text for w in words if w.left < 450] == ["Nơi", "cư", "trú"]
    assert all(70 <= w.left < 450 and 40 < w.top < 160 for w in words if w.left < 450)  # in page pixels
    assert [w.text for w in words if w.left >= 450] == ["số", "142/7"]  # a cell read surely is not read again


def test_a_reading_alone_that_is_less_sure_is_not_taken():
    image, horizontal, vertical = _table()
    image = np.full_like(image, 255)  # nothing left to read in the cell: its second reading is empty
    first = [Word("Nơi", 70, 62, 60, 30, 90.0), Word("cưrú", 140, 62, 100, 30, 10.0)]
    assert reread_cells(image, first, horizontal, vertical, DPI, "vie", 60.0, want_pdf=True).words == tuple(first)
