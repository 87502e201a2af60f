"""Reading one page: prepare the image, recognize it with Tesseract, and report text, words and doubts.

The recipe, each step there because the benchmark showed it pays (bench/ocr.py):
1. trust an existing PDF text layer when it is real Unicode text, and stop there;
2. flatten the paper and separate ink (binarize.py);
3. find which way is up and the skew (orient.py), turn and level the page;
4. erase dotted leaders, ruling lines, signatures and seals, keeping the letters under a seal
   (clean.py), call the page blank if no letters remain;
5. one Tesseract recognition (one thread) giving word boxes and the invisible text layer;
6. the text in reading order from the word boxes, leaders and table rules (layout.py);
7. an ID card's machine-readable zone read by its own rules (mrz.py).

`recognize_page` takes and returns plain picklable values, so callers run it in worker processes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from ocr.binarize import flatten_background, ink_mask
from ocr.clean import find_non_text, ink_stats
from ocr.deskew import rotate
from ocr.layer import text_layer_problem
from ocr.layout import Word, reading_order
from ocr.mrz import fix_mrz
from ocr.orient import orientation_and_skew, turn
from ocr.pages import PageImage
from ocr.quality import is_blank, paper_level, rescan_reason
from ocr.reread import reread_cells
from ocr.tesseract import run_tesseract
from ocr.text import normalize_text
from ocr.textlayer import swap_cells


@dataclass(frozen=True)
class PageResult:
    """What OCR made of one page: `rotation` (degrees clockwise) then `skew` (degrees counter-clockwise)
    turn the page image upright and level; words are in that upright, levelled image."""

    number: int
    text: str
    confidence: float
    rotation: int
    skew: float
    blank: bool
    words: tuple[Word, ...]
    width: int
    height: int
    dpi: float
    seconds: float
    source: str = "ocr"  # "ocr", or "text_layer" when the PDF's own text was kept
    rescan_reason: str | None = None
    text_pdf: bytes = b""  # Tesseract's invisible text layer for this page (a one-page PDF)
    prepare_seconds: float = 0.0
    text_layer_issue: str | None = None  # why an existing text layer was not kept

    def unsure_words(self, below: float) -> list[str]:
        """The words read with less than `below` confidence, once each, in reading order of first sight.

        Kept with the page so that a person checking the text against the scan is pointed at the
        words to look at, not only told the page as a whole was hard to read.
        """
        seen: dict[str, None] = {}
        for w in self.words:
            if 0 <= w.confidence < below and any(c.isalnum() for c in w.text):
                seen.setdefault(w.text, None)
        return list(seen)


@dataclass(frozen=True)
class OcrOptions:
    """Knobs of the recipe; every default is the measured best on scanned one-stop dossiers."""

    lang: str = "vie"
    psm: int = 3  # Tesseract page segmentation: 3 = automatic layout
    orient: bool = True  # turn sideways and upside-down pages upright
    osd_fallback: bool = True  # ask Tesseract's OSD when the cheap orientation test is unsure
    deskew: bool = True
    remove_leaders: bool = True  # dotted leader lines on forms
    remove_rules: bool = True  # ruling lines and table borders
    remove_signatures: bool = True  # signatures and seals, which Tesseract reads as junk or hides text behind
    binary_for_ocr: bool = False  # give Tesseract the cleaned binary page instead of the flattened grey
    text_pdf: bool = True  # also produce the invisible text layer for the searchable PDF
    timeout: float = 300.0  # seconds one page may take: Tesseract stops there, the page pool kills past it


NO_INK = 200  # a page with no pixel darker than this has nothing on it: not even a speck of dust


def recognize_page(page: PageImage, options: OcrOptions = OcrOptions()) -> PageResult:
    """OCR one page (or keep its text layer), with one Tesseract thread."""
    started = time.perf_counter()
    cv2.setNumThreads(1)  # one core per page, like Tesseract: the caller spreads pages over cores
    grey = _read_grey(page)
    height, width = grey.shape
    issue = text_layer_problem(page.text_layer) if page.text_layer is not None else None
    if page.text_layer is not None and issue is None:
        text = normalize_text(page.text_layer)
        return PageResult(number=page.number, text=text, confidence=100.0, rotation=0, skew=0.0, blank=not text,
                          words=(), width=width, height=height, dpi=page.dpi,
                          seconds=time.perf_counter() - started, source="text_layer")

    if int(grey.min()) >= NO_INK:  # white paper (a PDF page that draws nothing): nothing to prepare or read
        return PageResult(number=page.number, text="", confidence=0.0, rotation=0, skew=0.0, blank=True,
                          words=(), width=width, height=height, dpi=page.dpi,
                          seconds=time.perf_counter() - started, text_layer_issue=issue)
    flat = flatten_background(grey, page.dpi)
    rotation, skew = 0, 0.0
    if options.orient or options.deskew:
        rotation, skew = orientation_and_skew(flat, page.dpi, use_osd=options.osd_fallback)
        rotation = rotation if options.orient else 0
        skew = skew if options.deskew else 0.0
    flat = rotate(turn(flat, rotation), skew)
    ink = ink_mask(flat)
    stats = ink_stats(ink, page.dpi)
    non_text = find_non_text(ink, flat, stats, page.dpi, leaders=options.remove_leaders, rules=options.remove_rules,
                             signatures=options.remove_signatures)
    erase = non_text.mask
    reason = rescan_reason(paper_level(grey), flat, ink, stats, page.dpi)
    prepared_at = time.perf_counter()
    height, width = flat.shape
    if is_blank(stats, erase, page.dpi):
        return PageResult(number=page.number, text="", confidence=0.0, rotation=rotation, skew=skew, blank=True,
                          words=(), width=width, height=height, dpi=page.dpi,
                          seconds=time.perf_counter() - started, rescan_reason=None,
                          prepare_seconds=prepared_at - started, text_layer_issue=issue)

    image = _ocr_image(flat, ink, erase, binary=options.binary_for_ocr)
    out = run_tesseract(image, page.dpi, options.lang, options.psm, want_pdf=options.text_pdf,
                        timeout=options.timeout)
    reread = reread_cells(image, out.words, non_text.horizontal_rules, non_text.vertical_rules, page.dpi,
                          options.lang, options.timeout, want_pdf=options.text_pdf)
    words = tuple(replace(w, text=normalize_text(w.text)) for w in reread.words)
    confidences = [w.confidence for w in words if w.confidence >= 0]
    text = reading_order(words, non_text.leaders, non_text.horizontal_rules, non_text.vertical_rules)
    return PageResult(
        number=page.number, text=fix_mrz(normalize_text(text)),
        confidence=float(np.mean(confidences)) if confidences else 0.0,
        rotation=rotation, skew=skew, blank=False, words=words, width=width, height=height, dpi=page.dpi,
        seconds=time.perf_counter() - started, rescan_reason=reason,
        text_pdf=swap_cells(out.text_pdf, reread.cells, page.dpi, height),
        prepare_seconds=prepared_at - started, text_layer_issue=issue)


def recognize_pages(pages: Sequence[PageImage], options: OcrOptions = OcrOptions()) -> list[PageResult]:
    """Every page through `recognize_page` in this process, in page order (workers/pool.py spreads them)."""
    return [recognize_page(page, options) for page in pages]


def _read_grey(page: PageImage) -> np.ndarray:
    grey = cv2.imread(str(page.path), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise ValueError(f"cannot read page image {page.path}")
    return grey


def _ocr_image(flat: np.ndarray, ink: np.ndarray, erase: np.ndarray, binary: bool) -> np.ndarray:
    """What Tesseract sees: the page without leaders and rules, as flattened grey or as black on white."""
    if binary:
        return np.where((ink > 0) & (erase == 0), np.uint8(0), np.uint8(255))
    cleaned = flat.copy()
    cleaned[erase > 0] = 255
    return cleaned

