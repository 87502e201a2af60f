"""Checking that a dropped file is what a scanner station should produce, before anything trusts it.

The type is read from the file's first bytes, never from its name (a renamed executable is not a
PDF), then the file is opened as that type: a truncated PDF, a password-protected one, a JPEG cut
short or a TIFF that would decompress to billions of pixels is refused here with a reason a person
can act on, instead of failing later inside OCR.

Every way a decoder can fail on a crafted file is a verdict, never an exception that escapes:
Pillow raises `TypeError`, `KeyError` or `struct.error` on some truncated TIFFs, pikepdf raises
more than `PdfError` on broken object trees. Only the file system's own errors on opening the file
(permissions, a vanished file) leave this module, for the caller to retry.

qpdf repairs a PDF cut short by scanning its objects: the repaired file opens with the pages whose
bytes arrived, so "it opens" does not mean "it is whole". A PDF is whole only when its end is
there (`startxref` and `%%EOF` in its last kilobyte), qpdf did not have to repair it, and it has
as many pages as its page tree and its linearization dictionary announce. Anything else is
refused as maybe incomplete: a copy that paused half-way looks exactly like that.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pikepdf
from PIL import Image

from ingest.entries import mode_kind, refusal_of
from ingest.names import check_name
from ingest.rejection import Refusal, Rejected

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": "pdf", "image/tiff": "tif", "image/jpeg": "jpg", "image/png": "png"}
MIN_PAGE_POINTS = 18.0  # a quarter inch: no paper a counter scans is smaller
LINEARIZED_COUNT = re.compile(rb"/Linearized\b.{0,200}?/N\s+(\d+)", re.DOTALL)


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
    return sniff_bytes(head)


def sniff_bytes(head: bytes) -> str | None:
    # Some scanners write a few bytes of junk before %PDF; PDF readers accept it within 1 KB.
    if b"%PDF-" in head:
        return "application/pdf"
    return next((media for magic, media in SIGNATURES if head.startswith(magic)), None)


def check_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> CheckedFile:
    """Validate one file; raise `Rejected` with the reason when it cannot be digitized as it is.

    The file is opened without following a link and without blocking on a pipe, and checked to be
    a regular file before a byte of it is read. `OSError` (no permission, vanished) is not a
    verdict: it is raised for the caller to try again later.
    """
    check_name(path.name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:  # O_NOFOLLOW met a link
            raise _refusal_for(stat.S_IFLNK) from None
        raise
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise _refusal_for(st.st_mode)
        head = f.read(1024)
        size = st.st_size
        f.seek(max(0, size - 1024))
        tail = f.read(1024)
        if size == 0:
            raise Rejected(Refusal.EMPTY, "The file is empty (0 bytes). Scan the dossier again.",
                           "Tệp rỗng (0 byte). Hãy quét lại hồ sơ.")
        if size > limits.max_bytes:
            mb = limits.max_bytes // 2**20
            raise Rejected(Refusal.TOO_LARGE,
                           f"The file is larger than {mb} MB. Scan at 200-300 dpi or split the dossier.",
                           f"Tệp lớn hơn {mb} MB. Hãy quét ở 200-300 dpi hoặc tách hồ sơ.")
        media_type = sniff_bytes(head)
        if media_type is None:
            raise Rejected(Refusal.UNSUPPORTED_TYPE,
                           "This is not a PDF, TIFF, JPEG or PNG file. Save the scan in one of those formats.",
                           "Tệp không phải PDF, TIFF, JPEG hoặc PNG. Hãy lưu bản quét theo một trong các định dạng "
                           "đó.")
        f.seek(0)
        check = _check_pdf if media_type == "application/pdf" else _check_image
        pages = check(f, head, tail, limits)
    if pages > limits.max_pages:
        raise _too_many_pages(pages, limits)
    return CheckedFile(path=path, media_type=media_type, pages=pages, size=size)


def _refusal_for(mode: int) -> Rejected:
    refusal = refusal_of(mode_kind(mode))
    assert refusal is not None, "only links and special files are refused by their kind"
    return refusal


def _too_many_pages(pages: int, limits: Limits) -> Rejected:
    return Rejected(Refusal.TOO_MANY_PAGES, f"The file has {pages} pages, more than {limits.max_pages}. Split it.",
                    f"Tệp có {pages} trang, nhiều hơn {limits.max_pages}. Hãy tách hồ sơ.")


def _incomplete(why: str) -> Rejected:
    return Rejected(Refusal.INCOMPLETE_PDF,
                    f"The PDF is cut short or damaged ({why}). Copy or scan it again.",
                    "Tệp PDF không đầy đủ hoặc bị hỏng. Hãy sao chép hoặc quét lại.")


def _check_pdf(f: BinaryIO, head: bytes, tail: bytes, limits: Limits) -> int:
    if b"startxref" not in tail or b"%%EOF" not in tail:
        raise _incomplete("its end is missing")
    try:
        with pikepdf.open(f) as pdf:
            repaired = pdf.get_warnings()
            pages = len(pdf.pages)
            if pages > limits.max_pages:
                raise _too_many_pages(pages, limits)
            announced = _announced_pages(pdf, head)
            for page in pdf.pages:
                width, height = _page_size_points(page)
                # a page whose 300 dpi raster exceeds the pixel limit is bomb-like
                if width * height * (300 / 72) ** 2 > limits.max_pixels:
                    raise _bomb()
    except Rejected:
        raise
    except pikepdf.PasswordError:
        raise Rejected(Refusal.ENCRYPTED, "The PDF is password-protected. Save it again without a password.",
                       "Tệp PDF có mật khẩu. Hãy lưu lại tệp không đặt mật khẩu.") from None
    except pikepdf.PdfError as error:
        raise Rejected(Refusal.CORRUPT_PDF, f"The PDF is damaged or cut short ({error}). Scan or copy it again.",
                       "Tệp PDF bị hỏng hoặc không đầy đủ. Hãy quét hoặc sao chép lại.") from None
    except Exception as error:  # qpdf on a crafted object tree: a verdict, not a crash
        raise Rejected(Refusal.CORRUPT_PDF,
                       f"The PDF's structure is broken ({type(error).__name__}). Scan or save it again.",
                       "Cấu trúc tệp PDF bị hỏng. Hãy quét hoặc lưu lại.") from None
    if any("MediaBox" in warning for warning in repaired):  # qpdf put a made-up size on a page
        raise _no_size()
    if repaired:
        raise _incomplete("it had to be repaired to open")
    if announced > pages:
        raise _incomplete(f"{pages} of the {announced} pages it announces are there")
    if pages == 0:
        raise Rejected(Refusal.NO_PAGES, "The PDF has no pages. Scan the dossier again.",
                       "Tệp PDF không có trang nào. Hãy quét lại hồ sơ.")
    return pages


def _announced_pages(pdf: pikepdf.Pdf, head: bytes) -> int:
    """The page count the page tree's root and the linearization dictionary (if any) announce."""
    counts = [0]
    tree = pdf.Root.get("/Pages")
    if isinstance(tree, pikepdf.Dictionary) and isinstance(count := tree.get("/Count"), int):
        counts.append(count)
    if linearized := LINEARIZED_COUNT.search(head):
        counts.append(int(linearized.group(1)))
    return max(counts)


def _page_size_points(page: pikepdf.Page) -> tuple[float, float]:
    """Width and height of the page in points; a page too small to be paper is refused."""
    try:
        box = [float(v) for v in page.mediabox]
        width, height = abs(box[2] - box[0]), abs(box[3] - box[1])
    except (TypeError, ValueError, IndexError, pikepdf.PdfError):
        width = height = 0.0
    if not (width >= MIN_PAGE_POINTS and height >= MIN_PAGE_POINTS):  # also catches NaN
        raise _no_size()
    return width, height


def _no_size() -> Rejected:
    return Rejected(Refusal.BAD_PAGE_SIZE,
                    "A page of the PDF has no size (its MediaBox is empty or broken). Save the scan again.",
                    "Một trang của tệp PDF không có kích thước (MediaBox rỗng hoặc hỏng). Hãy lưu lại bản quét.")


def _bomb() -> Rejected:
    return Rejected(Refusal.TOO_MANY_PIXELS,
                    "A page is too large to open safely (it would decompress to too many pixels). "
                    "Scan at 200-300 dpi.",
                    "Trang quá lớn để mở an toàn (giải nén ra quá nhiều điểm ảnh). Hãy quét ở 200-300 dpi.")


def _check_image(f: BinaryIO, _head: bytes, _tail: bytes, limits: Limits) -> int:
    """Decode every frame once: the only way to know a JPEG or TIFF is not cut short."""
    try:
        with warnings.catch_warnings(), Image.open(f) as image:
            warnings.simplefilter("ignore")  # "Corrupt EXIF data" and the like: the verdict says it
            frames = getattr(image, "n_frames", 1)
            if frames > limits.max_pages:
                raise _too_many_pages(frames, limits)
            for index in range(frames):
                image.seek(index)
                if image.width * image.height > limits.max_pixels:
                    raise _bomb()
                image.load()
            return frames
    except Rejected:
        raise
    except Image.DecompressionBombError:
        raise _bomb() from None
    except MemoryError:
        raise _bomb() from None
    except Exception as error:  # Pillow raises TypeError, KeyError, struct.error... on crafted files
        raise Rejected(Refusal.CORRUPT_IMAGE,
                       f"The image is damaged or cut short ({type(error).__name__}: {error}). Scan or copy it again.",
                       "Tệp ảnh bị hỏng hoặc không đầy đủ. Hãy quét hoặc sao chép lại.") from None
