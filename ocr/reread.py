"""Reading again, each alone, the table cells Tesseract misread as part of the page.

When a cell's text wraps onto a second, short line ("Mạch 68 lần/phút; Huyết áp 133/73" over
"mmHg"), and the cells beside it hold one line centred between the two, Tesseract's layout
analysis takes them for one text line. The wrapped words come out as one word two lines tall, or
as junk it is not sure of, and the cell's best words are lost. Read alone as a block of text
(page segmentation mode 6), such a cell reads right. On the public samples this took the form
pages from 0.77% to 0.64% character error rate.

Each such cell is read on its own, on white paper around it: a recognition in the page process
costs well under a millisecond before it reads anything, and pages without such a cell pay
nothing. A cell keeps its first reading where that one is surer.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from ocr.layout import JUNK_CONFIDENCE, Box, Word, table_cells
from ocr.tesseract import run_tesseract
from ocr.textlayer import CellLayer

FUSED_HEIGHT = 1.6  # a word taller than this many median word heights spans two lines
FUSED_CONFIDENCE = 50.0  # ... and Tesseract, reading it as one, is less sure of it than this
BLOCK_PSM = 6  # Tesseract page segmentation: one uniform block of text


@dataclass(frozen=True)
class Reread:
    words: tuple[Word, ...]  # the page's words, those of cells read again replaced
    cells: tuple[CellLayer, ...] = ()  # the text layer of each cell whose words were replaced


def reread_cells(image: np.ndarray, words: Sequence[Word], horizontal_rules: Sequence[Box],
                 vertical_rules: Sequence[Box], dpi: float, lang: str, timeout: float,
                 want_pdf: bool = False) -> Reread:
    """The page's words, with those of every misread ruled cell replaced by a reading of that cell alone,
    and (`want_pdf`) the text layers of the cells replaced."""
    if not words or not vertical_rules:
        return Reread(tuple(words))
    height = statistics.median(w.height for w in words)
    margin = max(1, round(dpi / 100))  # off the erased rules' edges
    cells = [Box(c.left + margin, c.top + margin, c.right - margin, c.bottom - margin)
             for row in table_cells(horizontal_rules, vertical_rules, round(height / 2)) for c in row]
    inside = [(cell, [w for w in words if cell.holds(w.box)]) for cell in cells
              if cell.right > cell.left and cell.bottom > cell.top]
    misread = [(cell, first) for cell, first in inside if any(_misread(w, height) for w in first)]
    if not misread:
        return Reread(tuple(words))
    result, layers = list(words), []
    for cell, first in misread:
        second, layer = _read_alone(image, cell, round(2 * height), dpi, lang, timeout, want_pdf)
        if _confidence(second) > _confidence(first):
            result = [w for w in result if w not in first] + second
            if want_pdf:
                layers.append(layer)
    return Reread(tuple(result), tuple(layers))


def _read_alone(image: np.ndarray, cell: Box, gap: int, dpi: float, lang: str, timeout: float,
                want_pdf: bool) -> tuple[list[Word], CellLayer]:
    """The cell's words, in page pixels, read from the cell alone on white paper `gap` wide around it,
    and that reading's text layer."""
    alone = cv2.copyMakeBorder(image[cell.top:cell.bottom, cell.left:cell.right], gap, gap, gap, gap,
                               cv2.BORDER_CONSTANT, value=255)
    out = run_tesseract(alone, dpi, lang, BLOCK_PSM, want_pdf=want_pdf, timeout=timeout)
    origin = (cell.left - gap, cell.top - gap)
    words = [replace(w, left=w.left + origin[0], top=w.top + origin[1]) for w in out.words]
    return words, CellLayer(cell, origin, out.text_pdf)


def _misread(word: Word, height: float) -> bool:
    """Junk the page would drop, or a word spanning two lines that Tesseract is unsure of."""
    return word.confidence < JUNK_CONFIDENCE or (word.height > FUSED_HEIGHT * height
                                                 and word.confidence < FUSED_CONFIDENCE)


def _confidence(words: Sequence[Word]) -> float:
    """How many characters a reading is sure of: those of words kept as text, each weighted by its
    confidence. A reading that loses words to junk, or drops them, scores lower."""
    return sum(w.confidence * len(w.text) for w in words if w.confidence >= JUNK_CONFIDENCE)

