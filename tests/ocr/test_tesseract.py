"""Tesseract's engine loaded in this process reads exactly what the `tesseract` program reads."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr.tesseract import TesseractError, detect_orientation, parse_tsv, run_tesseract
from tests.ocr.scans import PROSE, degrade, render


def program(image: np.ndarray, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cv2.imwrite(str(tmp_path / "page.pgm"), image)
    return subprocess.run(["tesseract", str(tmp_path / "page.pgm"), *args], capture_output=True, text=True,
                          check=True, env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"})


def test_words_and_text_layer_are_the_programs(tmp_path: Path) -> None:
    image = np.asarray(degrade(render(PROSE), skew=0.4, seed=3))
    read = run_tesseract(image, 200, "vie", 3, want_pdf=True)
    program(image, tmp_path, str(tmp_path / "out"), "-l", "vie", "--psm", "3", "--dpi", "200",
            "-c", "textonly_pdf=1", "tsv", "pdf")
    tsv = (tmp_path / "out.tsv").read_text(encoding="utf-8").split("\n", 1)[1]  # past the header line
    assert read.words == parse_tsv(tsv)
    assert "Độc lập - Tự do - Hạnh phúc" in " ".join(w.text for w in read.words)

    def undated(pdf: bytes) -> bytes:
        return re.sub(rb"/CreationDate \([^)]*\)", b"", pdf)

    assert undated(read.text_pdf) == undated((tmp_path / "out.pdf").read_bytes())
    assert run_tesseract(image, 200, "vie", 3, want_pdf=False).text_pdf == b""


def test_orientation_is_the_programs(tmp_path: Path) -> None:
    sideways = cv2.rotate(np.asarray(render(PROSE * 3, height_in=11)), cv2.ROTATE_90_CLOCKWISE)
    said = program(sideways, tmp_path, "-", "--psm", "0", "--dpi", "200").stdout
    rotate = int(re.search(r"Rotate: (\d+)", said).group(1))  # type: ignore[union-attr]
    found = detect_orientation(sideways, 200)
    assert found is not None and found[0] == rotate == 270


def test_a_page_over_its_time_fails_with_a_reason() -> None:
    image = np.asarray(degrade(render(PROSE * 4, height_in=11), seed=1))
    with pytest.raises(TesseractError, match=r"within 0\.001 s"):
        run_tesseract(image, 200, "vie", 3, want_pdf=False, timeout=0.001)


def test_a_missing_language_says_what_to_install() -> None:
    with pytest.raises(TesseractError, match="install tesseract-ocr-xyz"):
        run_tesseract(np.full((100, 100), 255, np.uint8), 300, "xyz", 3, want_pdf=False)
