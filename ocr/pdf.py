"""The dossier's digitized copy: a two-layer PDF/A-2b (page image + invisible, aligned text).

Thông tư 05/2025/TT-BNV asks archives for two-layer PDF/A, colour, 200 dpi, with metadata.
Each page shows the scan as it came from the scanner, so the archive keeps the original pixels:
a JPEG scan at or under the archive resolution is copied in byte for byte; anything else is
resampled to `archive_dpi` and stored as JPEG (1-bit scans stay 1-bit, losslessly).
The text is Tesseract's own invisible text layer (`textonly_pdf`, the approach OCRmyPDF takes,
with cells read again swapped in by textlayer.py), made on the upright, levelled page; it is
mapped back onto the scan with one matrix, and the page gets `/Rotate`, so a viewer shows it
upright and selecting text selects the right words.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pikepdf
from PIL import Image, ImageCms

from ocr.pages import PageImage
from ocr.recognize import PageResult

POINTS = 72.0
JPEG_QUALITY = 80


@dataclass(frozen=True)
class PdfMetadata:
    """What the archive records about the copy (XMP Dublin Core and XMP basic properties)."""

    title: str
    dossier_code: str = ""
    agency: str = ""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    language: str = "vi"


def write_searchable_pdf(pages: Sequence[PageImage], results: Sequence[PageResult], out: Path,
                         metadata: PdfMetadata, archive_dpi: float = 200.0) -> None:
    """Write the PDF/A-2b copy of the pages, in order, with their OCR text layers."""
    if len(pages) != len(results):
        raise ValueError("one OCR result is needed for every page")
    pdf = pikepdf.new()
    for page, result in zip(pages, results, strict=True):
        _add_page(pdf, page, result, archive_dpi)
    _make_pdfa(pdf, metadata)
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.save(out, fix_metadata_version=True, deterministic_id=False)


def _add_page(pdf: pikepdf.Pdf, page: PageImage, result: PageResult, archive_dpi: float) -> None:
    image, width_px, height_px = _archive_image(pdf, page.path, page.dpi, archive_dpi)
    width, height = width_px * POINTS / page.dpi, height_px * POINTS / page.dpi
    resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    content = f"q {width:.4f} 0 0 {height:.4f} 0 0 cm /Im0 Do Q\n"
    if result.text_pdf:
        with pikepdf.open(io.BytesIO(result.text_pdf)) as text:
            form = pdf.copy_foreign(text.pages[0].as_form_xobject())
        resources.XObject.Tx0 = form
        a, b, c, d, e, f = _text_matrix(result, width_px, height_px, page.dpi)
        content += f"q {a:.6f} {b:.6f} {c:.6f} {d:.6f} {e:.4f} {f:.4f} cm /Tx0 Do Q\n"
    new = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, width, height], Resources=resources,
                             Contents=pdf.make_stream(content.encode()))
    if result.rotation:
        new.Rotate = result.rotation
    pdf.pages.append(pikepdf.Page(new))


def _archive_image(pdf: pikepdf.Pdf, path: Path, dpi: float, archive_dpi: float) -> tuple[pikepdf.Stream, int, int]:
    """The page's image as a PDF image, and the pixel size of the page it spans (at `dpi`)."""
    with Image.open(path) as image:
        width, height = image.size
        mode, kind = image.mode, image.format
        if kind == "JPEG" and mode in {"L", "RGB"} and dpi <= archive_dpi * 1.05:
            stream = pdf.make_stream(path.read_bytes(), Filter=pikepdf.Name.DCTDecode)
            space = pikepdf.Name.DeviceGray if mode == "L" else pikepdf.Name.DeviceRGB
            return _image_dict(stream, width, height, space, 8), width, height
        scale = min(1.0, archive_dpi / dpi)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if mode == "1":
            bits = image if scale == 1.0 else image.convert("L").resize(size, Image.Resampling.LANCZOS).convert("1")
            stream = pdf.make_stream(zlib.compress(bits.tobytes(), 6), Filter=pikepdf.Name.FlateDecode)
            return _image_dict(stream, *bits.size, pikepdf.Name.DeviceGray, 1), width, height
        converted = image.convert("L" if mode in {"L", "I;16", "I", "LA"} else "RGB")
        if scale < 1.0:
            converted = converted.resize(size, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        converted.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        stream = pdf.make_stream(buffer.getvalue(), Filter=pikepdf.Name.DCTDecode)
        space = pikepdf.Name.DeviceGray if converted.mode == "L" else pikepdf.Name.DeviceRGB
        return _image_dict(stream, *converted.size, space, 8), width, height


def _image_dict(stream: pikepdf.Stream, width: int, height: int, space: pikepdf.Name, bits: int) -> pikepdf.Stream:
    stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    stream.Width, stream.Height, stream.ColorSpace, stream.BitsPerComponent = width, height, space, bits
    return stream


def _text_matrix(result: PageResult, width: int, height: int, dpi: float) -> tuple[float, ...]:
    """PDF `cm` operands placing the upright page's text layer onto the scan as stored.

    In pixels, the scan became the OCR image by a quarter turn (`rotation`) and a small rotation
    (`skew`); the text layer's points map back through the inverse of both.
    """
    turn = {0: [[1, 0, 0], [0, 1, 0]], 90: [[0, -1, height], [1, 0, 0]],
            180: [[-1, 0, width], [0, -1, height]], 270: [[0, 1, 0], [-1, 0, width]]}[result.rotation % 360]
    level = cv2.getRotationMatrix2D((result.width / 2, result.height / 2), result.skew, 1.0)
    to_ocr = _affine(level) @ _affine(np.array(turn, dtype=float))
    s = POINTS / dpi
    points_of_scan = np.array([[s, 0, 0], [0, -s, height * s], [0, 0, 1]])
    points_of_ocr = np.array([[s, 0, 0], [0, -s, result.height * s], [0, 0, 1]])
    m = points_of_scan @ np.linalg.inv(to_ocr) @ np.linalg.inv(points_of_ocr)
    return m[0, 0], m[1, 0], m[0, 1], m[1, 1], m[0, 2], m[1, 2]


def _affine(matrix: np.ndarray) -> np.ndarray:
    return np.vstack([matrix, [0.0, 0.0, 1.0]])


def _make_pdfa(pdf: pikepdf.Pdf, metadata: PdfMetadata) -> None:
    """Output intent (sRGB) and XMP claiming PDF/A-2b, with the archive's metadata."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    icc = pdf.make_stream(profile, N=3)
    pdf.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1, OutputConditionIdentifier="sRGB",
        Info="sRGB IEC61966-2.1", DestOutputProfile=icc)])
    created = metadata.created.astimezone().isoformat(timespec="seconds")
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
        meta["dc:title"] = metadata.title
        meta["dc:language"] = [metadata.language]
        if metadata.dossier_code:
            meta["dc:identifier"] = metadata.dossier_code
        if metadata.agency:
            meta["dc:publisher"] = [metadata.agency]
            meta["dc:creator"] = [metadata.agency]
        meta["xmp:CreateDate"] = created
        meta["xmp:ModifyDate"] = created
        meta["xmp:MetadataDate"] = created
        meta["xmp:CreatorTool"] = "sohoa"
        meta["pdf:Producer"] = f"sohoa (pikepdf {pikepdf.__version__})"
