"""The OCR step: the stored originals of a dossier become page texts and a searchable PDF.

Pages are spread over the page processes (one Tesseract thread each), so several dossiers
digitized at once keep every core busy. The step reads only from the object store, never from
the inbox, so it runs the same on the watcher's machine or on an OCR worker elsewhere.

`read_files` is the one recipe for OCRing files, used by this step, `sohoa ocr` and `sohoa
classify`: folders are listed by ingest's rules (what is stored is what is read), pages are made
only a few ahead of the page processes, and a dossier's scratch space is bounded.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ingest.code import code_from_image, code_from_text
from ingest.intake import folder_files
from ocr.pages import PageImage, iter_pages
from ocr.pdf import PdfMetadata, write_searchable_pdf
from ocr.pdfa import pdfa_problems
from ocr.recognize import OcrOptions, PageResult
from procedures.pages import read_page
from storage.keys import digitized_key
from storage.local import LocalObjectStore
from storage.models import Dossier, File
from storage.objects import sha256_file
from workers.pool import PagePool
from workers.seal import seal_copy
from workers.services import Services

log = logging.getLogger(__name__)

PageProgress = Callable[[int, int, int], None]  # dossier id, pages done, pages in all


def fetch_originals(files: list[File], services: Services, work: Path) -> list[Path]:
    """Local paths of the originals: read in place from a local store, else downloaded (verified)."""
    if isinstance(services.objects, LocalObjectStore):
        return [services.objects.local_path(f.object_key) for f in files]
    paths = []
    for f in files:
        dest = work / f"original-{f.ordinal:04d}-{Path(f.object_key).name}"
        services.objects.get(f.object_key, dest, verify=True)
        paths.append(dest)
    return paths


class ScratchExceeded(RuntimeError):
    """A dossier needs more scratch space for its page images than it may use."""


def page_files(sources: Sequence[Path]) -> list[Path]:
    """The files to read, in page order: a folder stands for its page files, as ingest lists them."""
    return [path for source in sources for path in (folder_files(source) if source.is_dir() else [source])]


def read_files(sources: Sequence[Path], work: Path, pool: PagePool, options: OcrOptions, *, dpi: int,
               scratch_mb: int, on_page: Callable[[PageResult], None] | None = None
               ) -> tuple[list[PageImage], list[PageResult]]:
    """Every page of `sources` through OCR, in page order: the page images (kept in `work` for the
    searchable copy) and their results. Raises `ScratchExceeded` past `scratch_mb` of page images."""
    limit = scratch_mb * 2**20
    made: list[PageImage] = []
    used = 0

    def pages() -> Iterator[PageImage]:
        nonlocal used
        for page in iter_pages(page_files(sources), work, dpi=dpi):
            if page.path.is_relative_to(work):
                used += page.path.stat().st_size
            if used > limit:
                raise ScratchExceeded(f"the page images of this dossier need more than {scratch_mb} MB of scratch "
                                      "space: raise SOHOA_SCRATCH_MB or split the dossier")
            made.append(page)
            yield page

    results = []
    for result in pool.recognize(pages(), options):
        results.append(result)
        if on_page:
            on_page(result)
    return made, results


def digitize(dossier_id: int, services: Services, pool: PagePool,
             progress: PageProgress | None = None) -> None:
    """OCR a dossier, store its digitized copy and its pages; safe to run again after a crash."""
    settings, register = services.settings, services.register
    dossier = register.get(dossier_id)
    assert dossier is not None, f"dossier {dossier_id} vanished"
    work = settings.work / f"dossier-{dossier_id}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        sources = fetch_originals(register.files(dossier_id, "original"), services, work)
        total = dossier.page_count or 0
        done = 0

        def on_page(_result: PageResult) -> None:
            nonlocal done
            done += 1
            if progress:
                progress(dossier_id, done, max(total, done))

        pages, results = read_files(sources, work / "pages", pool, OcrOptions(lang=settings.ocr_lang),
                                    dpi=settings.ocr_dpi, scratch_mb=settings.scratch_mb, on_page=on_page)
        if not dossier.code:
            _read_code(dossier, pages, results, services)
            dossier = register.get(dossier_id) or dossier
        _store_digitized_copy(dossier, pages, results, services, work)
        register.replace_pages(dossier_id, [
            {"number": r.number, "text": r.text, "confidence": r.confidence, "rotation": r.rotation,
             "skew": r.skew, "blank": r.blank, "rescan_reason": r.rescan_reason,
             "unsure_words": r.unsure_words(settings.unsure_word_confidence)} for r in results])
        for r in results:
            if r.rescan_reason or (not r.blank and r.confidence < settings.rescan_confidence):
                register.add_event(dossier_id, "ocr", "rescan_suggested",
                                   {"page": r.number, "confidence": round(r.confidence, 1),
                                    "reason": r.rescan_reason or "low confidence"})
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _read_code(dossier: Dossier, pages: list[PageImage], results: list[PageResult],
               services: Services) -> None:
    """The receipt slip's code, from its printed line or, failing that, the slip's QR code or barcode.

    Only pages that read as a slip are searched for a code symbol: searching every page of the
    dossiers that have none was the largest cost of the pipeline's own process (bench/pipeline.py).
    """
    code = next((c for r in results if (c := code_from_text(r.text))), None)
    if code is None:
        slips = [p for p, r in zip(pages, results, strict=True) if read_page(r.number, r.text).is_slip]
        code = next((c for p in slips if (c := code_from_image(p.path, p.dpi))), None)
    if code and services.register.set_code_if_free(dossier.id, code):
        services.register.add_event(dossier.id, "ocr", "code_read", {"code": code})


def _store_digitized_copy(dossier: Dossier, pages: list[PageImage], results: list[PageResult],
                          services: Services, work: Path) -> None:
    settings = services.settings
    out = work / "digitized.pdf"
    write_searchable_pdf(pages, results, out, PdfMetadata(
        title=f"Hồ sơ {dossier.code or dossier.source_name}", dossier_code=dossier.code or "",
        agency=settings.agency_name, created=datetime.now(UTC)), archive_dpi=settings.archive_dpi)
    if problems := pdfa_problems(out):  # a regression of our writer: an archive copy must be known good
        log.warning("dossier %s: the digitized copy is not PDF/A-2b: %s", dossier.id, "; ".join(problems[:3]))
        services.register.add_event(dossier.id, "ocr", "pdfa_invalid", {"problems": problems[:10]})
    if settings.seal_digitized:
        seal_copy(out, settings)
    key = digitized_key(dossier)
    sha = sha256_file(out)
    info = services.objects.put(key, out, sha, "application/pdf", overwrite=True)
    services.register.add_file(dossier.id, role="digitized", name=Path(key).name, object_key=key,
                               sha256=info.sha256, size=info.size, media_type=info.content_type)
