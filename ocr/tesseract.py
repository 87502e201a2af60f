"""Running the `tesseract` program: one process, one thread, every output we need in one pass.

pytesseract runs Tesseract once per output kind; a page needs its words with boxes (TSV), from
which layout.py builds the text in reading order, and, for the searchable PDF, an invisible text
layer. Tesseract writes both in a single run when given several renderers, so this module calls
it directly, once per page.

`OMP_THREAD_LIMIT=1` is forced in the child's environment: Tesseract's OpenMP threads fight each
other and every other OCR process for the cores, which made pages ~10x slower on a 2-core machine
(issue 4). Parallelism comes from one process per core instead.
"""

from __future__ import annotations

import csv
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ocr.layout import Word


class TesseractError(RuntimeError):
    """Tesseract failed on a page; the message carries its stderr."""


@dataclass(frozen=True)
class TesseractOutput:
    words: tuple[Word, ...]  # in the pixels of the image Tesseract was given
    text_pdf: bytes  # one-page PDF with only the invisible text (textonly_pdf), b"" if not asked


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


def run_tesseract(image: np.ndarray, dpi: float, lang: str, psm: int, *, want_pdf: bool,
                  timeout: float = 300.0, extra_config: tuple[str, ...] = ()) -> TesseractOutput:
    """OCR one prepared page image (8-bit grey or binary) and return its words and text layer.

    The image goes to Tesseract as uncompressed PGM: encoding PNG would cost more than it saves.
    """
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as tmp:
        source = Path(tmp) / "page.pgm"
        cv2.imwrite(str(source), image)
        base = Path(tmp) / "out"
        command = ["tesseract", str(source), str(base), "-l", lang, "--psm", str(psm), "--dpi", str(round(dpi))]
        for setting in extra_config:
            command += ["-c", setting]
        renderers = ["tsv"]
        if want_pdf:
            command += ["-c", "textonly_pdf=1"]
            renderers.append("pdf")
        try:
            done = subprocess.run(command + renderers, capture_output=True, env=_env(), timeout=timeout, check=False)
        except subprocess.TimeoutExpired as error:
            raise TesseractError(f"tesseract took more than {timeout:.0f} s on a page") from error
        if done.returncode != 0:
            raise TesseractError(done.stderr.decode("utf-8", errors="replace").strip() or "tesseract failed")
        words = _parse_tsv(base.with_suffix(".tsv").read_text(encoding="utf-8"))
        pdf = base.with_suffix(".pdf").read_bytes() if want_pdf else b""
    return TesseractOutput(words=words, text_pdf=pdf)


def _parse_tsv(tsv: str) -> tuple[Word, ...]:
    rows = csv.DictReader(tsv.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    words = []
    for row in rows:
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        words.append(Word(
            text=row["text"], left=int(row["left"]), top=int(row["top"]), width=int(row["width"]),
            height=int(row["height"]), confidence=float(row["conf"])))
    return tuple(words)


def detect_orientation(image: np.ndarray, dpi: float, timeout: float = 60.0) -> tuple[int, float] | None:
    """Tesseract's OSD: (degrees clockwise to turn the page upright, confidence), None if unsure."""
    with tempfile.TemporaryDirectory(prefix="sohoa-osd-") as tmp:
        source = Path(tmp) / "page.pgm"
        cv2.imwrite(str(source), image)
        done = subprocess.run(["tesseract", str(source), "-", "--psm", "0", "--dpi", str(round(dpi))],
                              capture_output=True, env=_env(), timeout=timeout, check=False)
    if done.returncode != 0:
        return None
    fields = dict(line.split(":", 1) for line in done.stdout.decode().splitlines() if ":" in line)
    try:
        return int(fields["Rotate"].strip()), float(fields["Orientation confidence"].strip())
    except (KeyError, ValueError):
        return None
