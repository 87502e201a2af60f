"""OCR of a dossier's files: pages made only as the page processes get to them, scratch bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pikepdf
import pytest

from ocr.recognize import OcrOptions
from settings import Settings
from tests.conftest import BIRTH_FORM, save_scan
from workers.digitize import ScratchExceeded, read_files
from workers.pool import PagePool

OPTIONS = OcrOptions(lang="vie", text_pdf=False)


def blank_pdf(path: Path, pages: int) -> Path:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    pdf.save(path)
    return path


def scratch_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


@pytest.fixture(scope="module")
def pool() -> PagePool:
    with PagePool(2) as pages:
        yield pages  # type: ignore[misc]


def test_1999_blank_pages_need_almost_no_scratch(tmp_path: Path, pool: PagePool) -> None:
    source = blank_pdf(tmp_path / "trang-trang.pdf", 1999)
    assert source.stat().st_size < 600_000
    work = tmp_path / "work"
    peak, stop = [0], threading.Event()

    def watch_scratch() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], scratch_bytes(work))

    spy = threading.Thread(target=watch_scratch)
    spy.start()
    try:
        pages, results = read_files([source], work, pool, OPTIONS, dpi=300, scratch_mb=64)
    finally:
        stop.set()
        spy.join()
    assert len(pages) == len(results) == 1999 and all(r.blank for r in results)
    assert peak[0] < 1_000_000  # was 1,999 uncompressed 300 dpi rasters: about 13 GB


def test_pages_are_made_a_few_ahead_of_the_page_processes(tmp_path: Path, pool: PagePool) -> None:
    source = save_scan(tmp_path / "dai.pdf", [[f"TRANG SỐ {n}", *BIRTH_FORM[:2]] for n in range(1, 21)], dpi=100)
    work = tmp_path / "work"
    made_when_first_read: list[int] = []

    def on_page(_result: object) -> None:
        if not made_when_first_read:
            made_when_first_read.append(len(list(work.iterdir())))

    _, results = read_files([source], work, pool, OPTIONS, dpi=100, scratch_mb=64, on_page=on_page)
    assert [r.number for r in results] == list(range(1, 21))
    assert made_when_first_read[0] <= 2 * pool.jobs + 1 < 20


def test_a_dossier_past_its_scratch_limit_fails_with_a_reason(tmp_path: Path, pool: PagePool) -> None:
    source = save_scan(tmp_path / "lon.pdf", [BIRTH_FORM] * 3, dpi=100)
    with pytest.raises(ScratchExceeded, match="more than 0 MB of scratch space: raise SOHOA_SCRATCH_MB"):
        read_files([source], tmp_path / "work", pool, OPTIONS, dpi=100, scratch_mb=0)


@pytest.mark.slow
def test_sohoa_ingest_digitizes_1999_blank_pages_and_leaves_no_scratch(settings: Settings, tmp_path: Path) -> None:
    source = blank_pdf(tmp_path / "trang-trang.pdf", 1999)
    result = subprocess.run([sys.executable, "-m", "sohoa", "ingest", str(source), "--json"], capture_output=True,
                            text=True, timeout=900, env=os.environ.copy())
    [line] = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert line["state"] in ("digitized", "needs_review") and line["pages"] == 1999, result.stderr[-2000:]
    assert scratch_bytes(settings.work) == 0
