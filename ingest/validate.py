"""Checking that a dropped file is what a scanner station should produce, before anything trusts it.

The type is read from the file's first bytes, never from its name (a renamed executable is not a
PDF), then the file is opened as that type: a truncated PDF, a password-protected one, a JPEG cut
short or a TIFF that would decompress to billions of pixels is refused here with a reason a person
can act on, instead of failing later inside OCR.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image

from ingest.names import check_name
from ingest.rejection import Rejected

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": "pdf", "image/tiff": "tif", "image/jpeg": "jpg", "image/png": "png"}


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 500 * 2**20
    max_pixels: int = 200_000_000
    max_pages: int = 2000


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class CheckedFile:
    path: Path
    media_type: str
    pages: int
    size: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.media_type]


def sniff(path: Path) -> str | None:
    """The media type the file's first bytes say, or None for anything a scanner would not write."""
    with path.open("rb") as f:
        head = f.read(1024)
    # Some scanners write a few bytes of junk before %PDF; PDF readers accept it within 1 KB.
    if b"%PDF-" in head:
        return "application/pdf"
    return next((media for magic, media in SIGNATURES if head.startswith(magic)), None)


def check_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> CheckedFile:
    """Validate one file; raise `Rejected` with the reason when it cannot be digitized as it is."""
    check_name(path.name)
    size = path.stat().st_size
    if size == 0:
        raise Rejected("empty", "The file is empty (0 bytes). Scan the dossier again.",
                       "Tệp rỗng (0 byte). Hãy quét lại hồ sơ.")
    if size > limits.max_bytes:
        mb = limits.max_bytes // 2**20
        raise Rejected("too-large",
                       f"The file is larger than {mb} MB. Scan at 200-300 dpi or split the dossier.",
                       f"Tệp lớn hơn {mb} MB. Hãy quét ở 200-300 dpi hoặc tách hồ sơ.")
    media_type = sniff(path)
    if media_type is None:
        raise Rejected("unsupported-type",
                       "This is not a PDF, TIFF, JPEG or PNG file. Save the scan in one of those formats.",
                       "Tệp không phải PDF, TIFF, JPEG hoặc PNG. Hãy lưu bản quét theo một trong các định dạng đó.")
    pages = _count_pdf_pages(path, limits) if media_type == "application/pdf" else _check_image(path, limits)
    if pages > limits.max_pages:
        raise Rejected("too-many-pages", f"The file has {pages} pages, more than {limits.max_pages}. Split it.",
                       f"Tệp có {pages} trang, nhiều hơn {limits.max_pages}. Hãy tách hồ sơ.")
    return CheckedFile(path=path, media_type=media_type, pages=pages, size=size)


def _count_pdf_pages(path: Path, limits: Limits) -> int:
    try:
        with pikepdf.open(path) as pdf:
            pages = len(pdf.pages)
            for page in pdf.pages:
                width, height = _page_size_points(page)
                # a page whose 300 dpi raster exceeds the pixel limit is bomb-like
                if width * height * (300 / 72) ** 2 > limits.max_pixels:
                    raise _bomb()
    except pikepdf.PasswordError:
        raise Rejected("encrypted", "The PDF is password-protected. Save it again without a password.",
                       "Tệp PDF có mật khẩu. Hãy lưu lại tệp không đặt mật khẩu.") from None
    except pikepdf.PdfError as error:
        raise Rejected("corrupt-pdf", f"The PDF is damaged or cut short ({error}). Scan or copy it again.",
                       "Tệp PDF bị hỏng hoặc không đầy đủ. Hãy quét hoặc sao chép lại.") from None
    if pages == 0:
        raise Rejected("no-pages", "The PDF has no pages. Scan the dossier again.",
                       "Tệp PDF không có trang nào. Hãy quét lại hồ sơ.")
    return pages


def _page_size_points(page: pikepdf.Page) -> tuple[float, float]:
    box = [float(v) for v in page.mediabox]
    return abs(box[2] - box[0]), abs(box[3] - box[1])


def _bomb() -> Rejected:
    return Rejected("too-many-pixels",
                    "A page is too large to open safely (it would decompress to too many pixels). "
                    "Scan at 200-300 dpi.",
                    "Trang quá lớn để mở an toàn (giải nén ra quá nhiều điểm ảnh). Hãy quét ở 200-300 dpi.")


def _check_image(path: Path, limits: Limits) -> int:
    """Decode every frame once: the only way to know a JPEG or TIFF is not cut short."""
    try:
        with Image.open(path) as image:
            frames = getattr(image, "n_frames", 1)
            for index in range(frames):
                image.seek(index)
                if image.width * image.height > limits.max_pixels:
                    raise _bomb()
                image.load()
            return frames
    except Image.DecompressionBombError:
        raise _bomb() from None
    except (OSError, SyntaxError, ValueError) as error:
        raise Rejected("corrupt-image", f"The image is damaged or cut short ({error}). Scan or copy it again.",
                       "Tệp ảnh bị hỏng hoặc không đầy đủ. Hãy quét hoặc sao chép lại.") from None
