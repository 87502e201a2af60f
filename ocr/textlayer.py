"""A page's invisible text layer with the table cells read again put in place of their first reading.

Tesseract writes the layer of a page (`textonly_pdf`) from its first recognition. When a cell is
read again alone (reread.py), its words in the page text change, and the searchable PDF must say
the same: a PDF viewer's search and copy, and any archive that extracts the PDF's text, read this
layer. Tesseract writes each word as its own text-showing operator, placed relative to the one
before, so the words whose start lies in a re-read cell are dropped from the page's content
(their moves kept, so every other word stays where it was) and the cell's own layer, from its
reading alone, is laid over the cell.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import pikepdf

from ocr.layout import Box

POINTS = 72.0
Matrix = tuple[float, float, float, float, float, float]


@dataclass(frozen=True)
class CellLayer:
    """A cell read again: its box and the top-left of the image it was read from, in page pixels,
    and that image's text layer."""

    box: Box
    origin: tuple[int, int]
    text_pdf: bytes


def swap_cells(page_pdf: bytes, cells: Sequence[CellLayer], dpi: float, height: int) -> bytes:
    """`page_pdf` (Tesseract's layer of an image `height` pixels tall) with each cell's words replaced."""
    if not cells:
        return page_pdf
    scale = POINTS / dpi
    areas = [(c.box.left * scale, (height - c.box.bottom) * scale, c.box.right * scale, (height - c.box.top) * scale)
             for c in cells]
    with pikepdf.open(io.BytesIO(page_pdf)) as pdf:
        page = pdf.pages[0]
        kept, line = [], (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        for instruction in pikepdf.parse_content_stream(page):
            operator, operands = str(instruction.operator), instruction.operands
            if operator == "Tm":
                line = tuple(float(x) for x in operands)  # type: ignore[assignment]
            elif operator == "Td":
                line = _moved(line, float(operands[0]), float(operands[1]))
            elif operator in ("TJ", "Tj") and any(x0 <= line[4] <= x1 and y0 <= line[5] <= y1
                                                  for x0, y0, x1, y1 in areas):
                continue
            kept.append(instruction)
        page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(kept))
        for cell in cells:
            with pikepdf.open(io.BytesIO(cell.text_pdf)) as own:
                mediabox = own.pages[0].mediabox
                width, tall = float(mediabox[2]), float(mediabox[3])
                left, bottom = cell.origin[0] * scale, height * scale - cell.origin[1] * scale - tall
                page.add_overlay(own.pages[0], pikepdf.Rectangle(left, bottom, left + width, bottom + tall))
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def _moved(line: Matrix, tx: float, ty: float) -> Matrix:
    """The text line matrix after `tx ty Td`: the next line starts at (tx, ty) in the current one's space."""
    a, b, c, d, e, f = line
    return a, b, c, d, e + tx * a + ty * c, f + tx * b + ty * d
