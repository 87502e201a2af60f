"""Turning a dossier's files into one numbered page image each, ready for OCR.

Scanner stations save a dossier as one PDF, one multi-page TIFF, or a folder of JPEG/PNG pages.
Whatever came in, OCR wants one image file per page, numbered continuously across the files.

Scanned PDFs hold one JPEG per page: that image is copied out as it is (no rasterizing, no
re-encoding: the pixels OCR sees are the scanner's). Only pages that carry anything else (vector
text, several images, a text layer) are rasterized by poppler at the requested resolution.
A page's existing text layer is kept beside its image so the OCR step can decide to trust it.

Pages are made one at a time (`iter_pages`), as the OCR processes get to them, and written
packbits-compressed (as quick to write as raw, 15-60 times smaller on paper-white pages): a PDF
of 2,000 pages never has 2,000 uncompressed page images on disk. A PDF page that draws nothing
at all becomes a white 1-bit page without running the rasterizer: a blank page costs next to
nothing.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pdf2image import convert_from_path
from PIL import Image

from vntext import natural_key, nfc

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}
PDF_POINTS_PER_INCH = 72.0
BLANK_DPI = 10.0  # white paper needs no detail: a blank page is a 83 x 117 image, whatever the OCR resolution


@dataclass(frozen=True)
class PageImage:
    """One page ready for OCR, as a file on disk: cheap to pickle to a worker process."""

    path: Path
    number: int
    dpi: float
    text_layer: str | None = None


def expand_sources(sources: Sequence[Path]) -> list[Path]:
    """The files of a dossier in page order: folders are replaced by their images, naturally sorted.

    (sohoa itself hands over files only, listed by ingest's rules: this is for the library's
    own callers, benchmarks and tests.)
    """
    files: list[Path] = []
    for source in sources:
        if source.is_dir():
            files.extend(sorted((p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES | {".pdf"}),
                                key=lambda p: natural_key(p.name)))
        else:
            files.append(source)
    return files


def count_pages(source: Path) -> int:
    """Pages in one file or folder, without decoding any image (the web finds a page's original by it)."""
    if source.is_dir():
        return sum(count_pages(p) for p in expand_sources([source]))
    if source.suffix.lower() == ".pdf":
        with pikepdf.open(source) as pdf:
            return len(pdf.pages)
    with Image.open(source) as image:
        return getattr(image, "n_frames", 1)


def split_pages(sources: Sequence[Path], work_dir: Path, dpi: int = 300) -> list[PageImage]:
    """One `PageImage` per page of the dossier, numbered from 1 across all its files in order."""
    return list(iter_pages(sources, work_dir, dpi))


def iter_pages(sources: Sequence[Path], work_dir: Path, dpi: int = 300) -> Iterator[PageImage]:
    """The dossier's pages one by one, each made only when asked for (see the module's docstring)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    number = 0
    for source in expand_sources(sources):
        for path, page_dpi, text in _pages_of(source, work_dir, dpi, first=number + 1):
            number += 1
            yield PageImage(path=path, number=number, dpi=page_dpi, text_layer=text)


def _pages_of(source: Path, work_dir: Path, dpi: int, first: int) -> Iterator[tuple[Path, float, str | None]]:
    suffix = source.suffix.lower()
    if suffix == ".pdf":
        yield from _pdf_pages(source, work_dir, dpi, first)
    elif suffix in {".tif", ".tiff"}:
        yield from _tiff_pages(source, work_dir, first)
    else:
        yield source, _image_dpi(source), None


def _image_dpi(path: Path) -> float:
    """The resolution the scanner recorded; 300 when it recorded none (the usual scanner default)."""
    with Image.open(path) as image:
        return _dpi_of(image)


def _dpi_of(image: Image.Image) -> float:
    dpi = image.info.get("dpi")
    if dpi and float(dpi[0]) > 1:
        return float(dpi[0])
    return 300.0


def _tiff_pages(source: Path, work_dir: Path, first: int) -> Iterator[tuple[Path, float, None]]:
    """Each TIFF frame as its own lossless file (a 1-bit G4 frame stays 1-bit)."""
    with Image.open(source) as tiff:
        frames = getattr(tiff, "n_frames", 1)
        if frames == 1:
            yield source, _dpi_of(tiff), None
            return
        for index in range(frames):
            tiff.seek(index)
            dpi = _dpi_of(tiff)
            frame = tiff if tiff.mode in {"1", "L", "RGB"} else tiff.convert("RGB")
            yield _save_page(frame, work_dir / f"page-{first + index:04d}.tif", dpi), dpi, None


def _save_page(image: Image.Image, out: Path, dpi: float) -> Path:
    """A page image for OCR and the archive, written losslessly and quickly (1-bit pages as G4,
    others packbits): PNG took 0.13 s a page to encode, packbits 0.008 s (raw TIFF 0.003 s, but
    8.5 MB a 300 dpi grey page where packbits writes 0.1-0.5 MB)."""
    image.save(out, dpi=(dpi, dpi), compression="group4" if image.mode == "1" else "packbits")
    return out


def _pdf_pages(source: Path, work_dir: Path, dpi: int, first: int) -> Iterator[tuple[Path, float, str | None]]:
    texts = pdf_text_layers(source)
    blanks: dict[tuple[int, int], Path] = {}
    with pikepdf.open(source) as pdf:
        for index, page in enumerate(pdf.pages):
            number = first + index
            text = texts[index] if index < len(texts) else None
            width, height = page_size_inches(page, number)
            if not text and _draws_nothing(page):
                size = (max(1, round(width * BLANK_DPI)), max(1, round(height * BLANK_DPI)))
                if size not in blanks:  # one tiny white image for all the blank pages of a size
                    blanks[size] = _save_page(Image.new("1", size, 1), work_dir / f"blank-{number:04d}.tif", BLANK_DPI)
                yield blanks[size], BLANK_DPI, None
                continue
            extracted = None if text else _extract_scan_image(page, work_dir / f"page-{number:04d}")
            if extracted is not None:
                yield extracted[0], extracted[1], None
                continue
            image = convert_from_path(source, dpi=dpi, first_page=index + 1, last_page=index + 1)[0]
            yield _save_page(image, work_dir / f"page-{number:04d}.tif", dpi), float(dpi), text or None


def page_size_inches(page: pikepdf.Page, number: int) -> tuple[float, float]:
    """The page's size from its MediaBox; a page of no size is an error that names the page."""
    box = [float(v) for v in page.mediabox]
    width, height = abs(box[2] - box[0]) / PDF_POINTS_PER_INCH, abs(box[3] - box[1]) / PDF_POINTS_PER_INCH
    if not (width > 0 and height > 0):
        raise ValueError(f"page {number} has no size (MediaBox {box}): save the scan again")
    return width, height


def _draws_nothing(page: pikepdf.Page) -> bool:
    """True for a page whose content draws nothing and that has no annotations: white paper."""
    if "/Annots" in page.obj:
        return False
    try:
        return not (page.obj.Contents.read_bytes() if "/Contents" in page.obj else b"").strip()
    except (AttributeError, pikepdf.PdfError):
        return False


def _extract_scan_image(page: pikepdf.Page, stem: Path) -> tuple[Path, float] | None:
    """The page's only image, written out in its own encoding, when the page is just a scan.

    A page qualifies when it draws exactly one image covering the page, unrotated, with no text:
    then copying the JPEG (or other) stream out gives exactly what rasterizing would, minus the
    decode/resample/encode cost and generation loss.
    """
    images = list(page.get_images(recursive=False).items())  # drawn by the page itself, not a form
    if len(images) != 1 or int(page.obj.get("/Rotate", 0)) % 360 != 0:
        return None
    try:
        content = page.obj.Contents.read_bytes() if "/Contents" in page.obj else b""
    except (AttributeError, pikepdf.PdfError):
        return None
    if b"Tj" in content or b"TJ" in content:
        return None
    image = pikepdf.PdfImage(images[0][1])
    if image.image_mask or image.colorspace not in {"/DeviceGray", "/DeviceRGB"}:
        return None
    box = [float(v) for v in page.mediabox]
    width_in = (box[2] - box[0]) / PDF_POINTS_PER_INCH
    height_in = (box[3] - box[1]) / PDF_POINTS_PER_INCH
    if width_in <= 0 or height_in <= 0:  # an upside-down box: let the rasterizer make sense of it
        return None
    dpi_x, dpi_y = image.width / width_in, image.height / height_in
    if abs(dpi_x - dpi_y) > 0.02 * dpi_x or image.filters not in ([], ["/DCTDecode"], ["/FlateDecode"]):
        return None
    return Path(image.extract_to(fileprefix=str(stem))), round(dpi_x, 1)


def pdf_text_layers(source: Path) -> list[str]:
    """The text layer of each page of a PDF (empty strings for scans), via poppler's pdftotext.

    Kept as found (only NFC): whether it is trustworthy, or legacy-encoded, is the OCR step's call.
    """
    result = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(source), "-"],
                            capture_output=True, check=False)
    if result.returncode != 0:
        return []
    pages = result.stdout.decode("utf-8", errors="replace").split("\f")
    return [nfc(page).strip() for page in pages]
