"""Tesseract's engine inside the page process, through its C API: loaded once, every page read in one pass.

Starting the `tesseract` program for each page cost ~75 ms of loading before it read anything: a
tenth of a page, paid again for each orientation check and each cell re-read (issue 2). The page
process now loads the engine once per language, through the C API that libtesseract (the library
the `tesseract` program itself runs on) exports for bindings (tesseract/capi.h), and asks it for
the word boxes (TSV) and the invisible text layer (textonly PDF) of one recognition, the same
settings and the same outputs the program gave. tesserocr, the Python binding, was weighed: its
wheel brings its own Tesseract build, not the one the benchmarks compare against, and it cannot
render the text layer of an image it was handed in memory.

Tesseract's OpenMP threads fight each other and every other page process for the cores, which
made pages ~10x slower on a 2-core machine (issue 4): the library is loaded with
`OMP_THREAD_LIMIT=1`, and parallelism comes from one page process per core instead.

A crash inside the engine now takes the page process with it; workers/pool.py replaces the
process and gives the pages it lost to the new ones, and a page lost twice is read alone.
"""

from __future__ import annotations

import csv
import ctypes
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from ocr.layout import Word

LIBRARY = "libtesseract.so.5"
OSD_ONLY = 0  # page segmentation mode that only finds orientation and script


class TesseractError(RuntimeError):
    """Tesseract could not read a page, or could not be loaded; the message says which and why."""


@dataclass(frozen=True)
class TesseractOutput:
    words: tuple[Word, ...]  # in the pixels of the image Tesseract was given
    text_pdf: bytes  # one-page PDF with only the invisible text (textonly_pdf), b"" if not asked


def run_tesseract(image: np.ndarray, dpi: float, lang: str, psm: int, *, want_pdf: bool,
                  timeout: float = 300.0) -> TesseractOutput:
    """OCR one prepared page image (8-bit grey or binary) and return its words and text layer."""
    return _engine(lang).read(image, dpi, psm, want_pdf=want_pdf, timeout=timeout)


def detect_orientation(image: np.ndarray, dpi: float) -> tuple[int, float] | None:
    """Tesseract's OSD: (degrees clockwise to turn the page upright, confidence), None if unsure."""
    return _engine("osd").orientation(image, dpi)


class _Engine:
    """One TessBaseAPI with one language loaded; used by one thread at a time."""

    def __init__(self, lang: str) -> None:
        self._lib = _library()
        self._lock = threading.Lock()
        self._api = self._lib.TessBaseAPICreate()
        # Tesseract's warnings ("Detected 12 diacritics", "Estimating resolution") would be
        # printed over the progress display; this process reports its own errors.
        self._lib.TessBaseAPISetVariable(self._api, b"debug_file", os.devnull.encode())
        if self._lib.TessBaseAPIInit3(self._api, None, lang.encode()) != 0:
            self._lib.TessBaseAPIDelete(self._api)
            raise TesseractError(f"Tesseract has no '{lang}' language data: install tesseract-ocr-{lang} "
                                 "(scripts/install does)")

    def read(self, image: np.ndarray, dpi: float, psm: int, *, want_pdf: bool, timeout: float) -> TesseractOutput:
        lib, api = self._lib, self._api
        with self._lock:
            self._set_image(image, dpi)
            lib.TessBaseAPISetPageSegMode(api, psm)
            monitor = lib.TessMonitorCreate()
            started = time.monotonic()
            try:
                lib.TessMonitorSetDeadlineMSecs(monitor, int(timeout * 1000))
                failed = lib.TessBaseAPIRecognize(api, monitor) != 0
            finally:
                lib.TessMonitorDelete(monitor)
            if failed and time.monotonic() - started >= timeout:
                raise TesseractError(f"Tesseract could not read the page within {timeout:g} s")
            if failed:
                raise TesseractError("Tesseract could not read the page: is the image empty or damaged?")
            words = parse_tsv(self._take_text(lib.TessBaseAPIGetTsvText(api, 0)))
            pdf = self._text_pdf() if want_pdf else b""
            lib.TessBaseAPIClear(api)
        return TesseractOutput(words=words, text_pdf=pdf)

    def orientation(self, image: np.ndarray, dpi: float) -> tuple[int, float] | None:
        lib, api = self._lib, self._api
        degrees, confidence = ctypes.c_int(), ctypes.c_float()
        script, script_confidence = ctypes.c_char_p(), ctypes.c_float()
        with self._lock:
            self._set_image(image, dpi)
            lib.TessBaseAPISetPageSegMode(api, OSD_ONLY)
            found = lib.TessBaseAPIDetectOrientationScript(
                api, ctypes.byref(degrees), ctypes.byref(confidence), ctypes.byref(script),
                ctypes.byref(script_confidence))
            lib.TessBaseAPIClear(api)
        if not found:
            return None
        # Tesseract reports the page's orientation (counter-clockwise); the program printed, and
        # callers want, the clockwise turn that undoes it.
        return (360 - degrees.value) % 360, float(confidence.value)

    def _set_image(self, image: np.ndarray, dpi: float) -> None:
        pixels = np.ascontiguousarray(image, dtype=np.uint8)
        height, width = pixels.shape
        self._lib.TessBaseAPISetImage(self._api, pixels.ctypes.data, width, height, 1, width)
        self._lib.TessBaseAPISetSourceResolution(self._api, round(dpi))

    def _text_pdf(self) -> bytes:
        """The invisible text layer, from the renderer the program uses (it writes only to a file)."""
        lib = self._lib
        with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as tmp:
            base = Path(tmp) / "layer"
            renderer = lib.TessPDFRendererCreate(str(base).encode(), lib.TessBaseAPIGetDatapath(self._api), 1)
            try:
                done = (lib.TessResultRendererBeginDocument(renderer, b"")
                        and lib.TessResultRendererAddImage(renderer, self._api)
                        and lib.TessResultRendererEndDocument(renderer))
            finally:
                lib.TessDeleteResultRenderer(renderer)
            if not done:
                raise TesseractError("Tesseract could not write the page's text layer")
            return base.with_suffix(".pdf").read_bytes()

    def _take_text(self, pointer: int | None) -> str:
        if not pointer:
            raise TesseractError("Tesseract returned no text for the page")
        try:
            return ctypes.string_at(pointer).decode("utf-8")
        finally:
            self._lib.TessDeleteText(pointer)


@cache
def _engine(lang: str) -> _Engine:
    """The engine for `lang`, loaded on first use in this process and kept for its life."""
    return _Engine(lang)


@cache
def _library() -> ctypes.CDLL:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # read by OpenMP when libtesseract loads it, just below
    try:
        lib = ctypes.CDLL(LIBRARY)
    except OSError as error:
        raise TesseractError(f"cannot load Tesseract's library {LIBRARY}: install libtesseract5 "
                             "(scripts/install does)") from error
    api, text, voidp, c_int = ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int
    signatures: dict[str, tuple[type | None, list]] = {
        "TessBaseAPICreate": (api, []),
        "TessBaseAPIDelete": (None, [api]),
        "TessBaseAPIInit3": (c_int, [api, ctypes.c_char_p, ctypes.c_char_p]),
        "TessBaseAPISetVariable": (c_int, [api, ctypes.c_char_p, ctypes.c_char_p]),
        "TessBaseAPISetPageSegMode": (None, [api, c_int]),
        "TessBaseAPISetImage": (None, [api, voidp, c_int, c_int, c_int, c_int]),
        "TessBaseAPISetSourceResolution": (None, [api, c_int]),
        "TessBaseAPIRecognize": (c_int, [api, voidp]),
        "TessBaseAPIGetTsvText": (text, [api, c_int]),
        "TessBaseAPIGetDatapath": (ctypes.c_char_p, [api]),
        "TessBaseAPIDetectOrientationScript": (c_int, [api, voidp, voidp, voidp, voidp]),
        "TessBaseAPIClear": (None, [api]),
        "TessDeleteText": (None, [text]),
        "TessMonitorCreate": (voidp, []),
        "TessMonitorDelete": (None, [voidp]),
        "TessMonitorSetDeadlineMSecs": (None, [voidp, c_int]),
        "TessPDFRendererCreate": (voidp, [ctypes.c_char_p, ctypes.c_char_p, c_int]),
        "TessResultRendererBeginDocument": (c_int, [voidp, ctypes.c_char_p]),
        "TessResultRendererAddImage": (c_int, [voidp, api]),
        "TessResultRendererEndDocument": (c_int, [voidp]),
        "TessDeleteResultRenderer": (None, [voidp]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes
    return lib


def parse_tsv(tsv: str) -> tuple[Word, ...]:
    rows = csv.DictReader(tsv.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE,
                          fieldnames=["level", "page_num", "block_num", "par_num", "line_num", "word_num",
                                      "left", "top", "width", "height", "conf", "text"])
    words = []
    for row in rows:
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        words.append(Word(
            text=row["text"], left=int(row["left"]), top=int(row["top"]), width=int(row["width"]),
            height=int(row["height"]), confidence=float(row["conf"])))
    return tuple(words)
