"""Hostile and careless inputs, each built at test time, with the verdict sohoa must give it.

Shared by the stage's own suite (tests/ingest/test_hostile.py), the watcher's and `sohoa ingest`'s
(tests/workers/test_receive.py). A kind builds its entry inside `inbox` (targets of links go to a
folder beside it, outside the inbox) and says what must become of it: stored with so many pages,
or refused with a reason code.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image

from tests.conftest import BIRTH_FORM, MARRIAGE_FORM, render_page, save_scan

DPI = 72


@dataclass(frozen=True)
class Kind:
    name: str
    build: Callable[[Path], Path]
    refusal: str | None = None  # the reason code, or None when it is a good dossier
    pages: int = 0


def _outside(inbox: Path) -> Path:
    folder = inbox.parent / "outside"
    folder.mkdir(exist_ok=True)
    return folder


def _pdf_bytes(pages: int = 3) -> bytes:
    buffer = io.BytesIO()
    images = [render_page([*BIRTH_FORM[:2], f"Trang {n}"], dpi=DPI) for n in range(1, pages + 1)]
    images[0].save(buffer, "PDF", resolution=DPI, save_all=True, append_images=images[1:])
    return buffer.getvalue()


def _write(inbox: Path, name: str, data: bytes) -> Path:
    path = inbox / name
    path.write_bytes(data)
    return path


def _scan(inbox: Path, name: str, pages: int = 1) -> Path:
    return save_scan(inbox / name, [[*MARRIAGE_FORM[:2], f"{name} trang {n}"] for n in range(1, pages + 1)], dpi=DPI)


def _with_pdf(name: str, change: Callable[[pikepdf.Pdf], None]) -> Callable[[Path], Path]:
    def build(inbox: Path) -> Path:
        with pikepdf.open(io.BytesIO(_pdf_bytes(2))) as pdf:
            change(pdf)
            pdf.save(inbox / name)
        return inbox / name
    return build


def _cut(name: str, fraction: float, source: Callable[[], bytes]) -> Callable[[Path], Path]:
    def build(inbox: Path) -> Path:
        data = source()
        return _write(inbox, name, data[: int(len(data) * fraction)])
    return build


def _image_bytes(fmt: str, frames: int = 1, **save: object) -> bytes:
    buffer = io.BytesIO()
    images = [render_page([*BIRTH_FORM[:2], f"Trang {n}"], dpi=DPI) for n in range(1, frames + 1)]
    images[0].save(buffer, fmt, save_all=frames > 1, append_images=images[1:], **save)
    return buffer.getvalue()


def _zero_mediabox(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.MediaBox = pikepdf.Array([0, 0, 0, 0])


def _nan_mediabox(pdf: pikepdf.Pdf) -> None:
    pdf.pages[1].obj.MediaBox = pikepdf.Array([0, 0, pikepdf.Name("/Wide"), 842])


def _huge_mediabox(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.MediaBox = pikepdf.Array([0, 0, 14400, 14400])


def _no_pages(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Pages.Kids = pikepdf.Array()
    pdf.Root.Pages.Count = 0


def _javascript(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))


def _encrypted(inbox: Path) -> Path:
    with pikepdf.open(io.BytesIO(_pdf_bytes(1))) as pdf:
        pdf.save(inbox / "mat-khau.pdf", encryption=pikepdf.Encryption(owner="o", user="secret"))
    return inbox / "mat-khau.pdf"


def _linearized_lies(inbox: Path) -> Path:
    data = _pdf_bytes(2).replace(b"%PDF-1.4\n", b"%PDF-1.4\n1000 0 obj << /Linearized 1 /N 5 >> endobj\n", 1)
    return _write(inbox, "tuyen-tinh.pdf", data)


def _xref_broken(inbox: Path) -> Path:
    data = _pdf_bytes(2)
    at = data.rindex(b"startxref")
    return _write(inbox, "xref-hong.pdf", data[:at] + b"startxref\n12\n%%EOF\n")


def _deep_pdf(inbox: Path) -> Path:
    body = b"1 0 obj " + b"[" * 100_000 + b"]" * 100_000 + b" endobj\n"
    data = b"%PDF-1.7\n" + body + b"trailer << /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"
    return _write(inbox, "long-nhau.pdf", data)


def _bomb_png(inbox: Path) -> Path:
    Image.new("1", (30000, 30000), 1).save(inbox / "bom.png", optimize=True)
    return inbox / "bom.png"


def _tiff_huge_header(inbox: Path) -> Path:
    """A 200-byte TIFF whose header claims 100,000 x 100,000 grey pixels (10 gigapixels)."""
    tags = [(256, 4, 100_000), (257, 4, 100_000), (258, 3, 8), (259, 3, 1), (262, 3, 1),
            (273, 4, 200), (278, 4, 100_000), (279, 4, 10**10 % 2**32)]
    ifd = len(tags).to_bytes(2, "little") + b"".join(
        tag.to_bytes(2, "little") + kind.to_bytes(2, "little") + (1).to_bytes(4, "little") +
        value.to_bytes(4, "little") for tag, kind, value in tags) + (0).to_bytes(4, "little")
    data = b"II*\x00" + (8).to_bytes(4, "little") + ifd
    return _write(inbox, "tiff-khong-lo.tif", data.ljust(200, b"\x00") + b"\x80" * 64)


def _polyglot_jpeg_zip(inbox: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("run.sh", "#!/bin/sh\necho pwned\n")
    return _write(inbox, "anh-zip.jpg", _image_bytes("JPEG") + buffer.getvalue())


def _polyglot_script_pdf(inbox: Path) -> Path:
    script = b"#!/bin/sh\n# %PDF-1.7\necho pwned\n" + b"x" * 2000
    return _write(inbox, "script.pdf", script + b"\nstartxref\n9\n%%EOF\n")


def _zip_as_pdf(inbox: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "xin chao")
    return _write(inbox, "nen.pdf", buffer.getvalue())


def _executable(inbox: Path) -> Path:
    shutil.copy(shutil.which("true") or "/bin/true", inbox / "chuong-trinh.pdf")
    return inbox / "chuong-trinh.pdf"


def _link(name: str, target: Callable[[Path], str | Path]) -> Callable[[Path], Path]:
    def build(inbox: Path) -> Path:
        (inbox / name).symlink_to(target(inbox))
        return inbox / name
    return build


def _outside_png(inbox: Path) -> Path:
    return _scan(_outside(inbox), "ngoai.png")


def _outside_folder(inbox: Path) -> Path:
    folder = _outside(inbox) / "thu-muc-ngoai"
    _scan(folder, "page-1.png")
    return folder


def _fifo(inbox: Path) -> Path:
    os.mkfifo(inbox / "ong.pdf")
    return inbox / "ong.pdf"


def _socket(inbox: Path) -> Path:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(inbox / "sock.pdf"))
    server.close()
    return inbox / "sock.pdf"


def _device(inbox: Path) -> Path:
    os.mknod(inbox / "thiet-bi.pdf", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null's numbers
    return inbox / "thiet-bi.pdf"


def _folder(name: str, fill: Callable[[Path], None]) -> Callable[[Path], Path]:
    def build(inbox: Path) -> Path:
        folder = inbox / name
        folder.mkdir()
        fill(folder)
        return folder
    return build


def _fifo_inside(folder: Path) -> None:
    _scan(folder, "page-1.png")
    os.mkfifo(folder / "page-2.png")


def _link_inside(folder: Path) -> None:
    _scan(folder, "page-1.png")
    (folder / "page-2.png").symlink_to(_outside_png(folder.parent))


def _nested(folder: Path) -> None:
    _scan(folder, "page-1.png")
    _scan(folder / "con", "page-2.png")


def _bad_page_inside(folder: Path) -> None:
    _scan(folder, "page-1.png")
    (folder / "page-2.jpg").write_bytes(_image_bytes("JPEG")[:300])


def _only_caches(folder: Path) -> None:
    (folder / "Thumbs.db").write_bytes(b"\x00" * 64)
    (folder / ".DS_Store").write_bytes(b"\x00" * 64)


def _good_folder(folder: Path) -> None:
    for n in (10, 2, 1):
        _scan(folder, f"trang-{n}.png")
    (folder / "Thumbs.db").write_bytes(b"\x00" * 64)


def _many_files(folder: Path) -> None:
    for n in range(2100):
        (folder / f"p{n}.png").write_bytes(b"")


VIETNAMESE_LONG = "hồ sơ " + "ệ" * 80 + ".pdf"  # 247 bytes of UTF-8 in 86 letters

KINDS: tuple[Kind, ...] = (
    Kind("good-pdf", lambda d: _write(d, "tot.pdf", _pdf_bytes(3)), pages=3),
    Kind("good-folder", _folder("ho-so-thu-muc", _good_folder), pages=3),
    Kind("empty-file", lambda d: _write(d, "rong.pdf", b""), "empty"),
    Kind("empty-folder", _folder("thu-muc-rong", lambda f: None), "empty-folder"),
    Kind("folder-of-caches", _folder("chi-thumbs", _only_caches), "empty-folder"),
    Kind("pdf-cut-20", _cut("cat-20.pdf", 0.2, _pdf_bytes), "incomplete-pdf"),
    Kind("pdf-cut-50", _cut("cat-50.pdf", 0.5, _pdf_bytes), "incomplete-pdf"),
    Kind("pdf-cut-90", _cut("cat-90.pdf", 0.9, _pdf_bytes), "incomplete-pdf"),
    Kind("pdf-cut-last-bytes", _cut("cat-cuoi.pdf", 0.9995, _pdf_bytes), "incomplete-pdf"),
    Kind("pdf-count-lies", lambda d: _write(d, "dem-sai.pdf", _pdf_bytes(2).replace(b"/Count 2", b"/Count 7")),
         "incomplete-pdf"),
    Kind("pdf-linearized-lies", _linearized_lies, "incomplete-pdf"),
    Kind("pdf-xref-broken", _xref_broken, "incomplete-pdf"),
    Kind("pdf-garbage", lambda d: _write(d, "rac.pdf", b"%PDF-1.7\n" + os.urandom(5000) + b"\nstartxref\n9\n%%EOF"),
         "corrupt-pdf"),
    Kind("pdf-deep-nesting", _deep_pdf, "corrupt-pdf"),
    Kind("pdf-encrypted", _encrypted, "encrypted"),
    Kind("pdf-no-pages", _with_pdf("khong-trang.pdf", _no_pages), "no-pages"),
    Kind("pdf-mediabox-zero", _with_pdf("mediabox-0.pdf", _zero_mediabox), "bad-page-size"),
    Kind("pdf-mediabox-not-a-number", _with_pdf("mediabox-chu.pdf", _nan_mediabox), "bad-page-size"),
    Kind("pdf-page-bomb", _with_pdf("trang-khong-lo.pdf", _huge_mediabox), "too-many-pixels"),
    Kind("pdf-javascript", _with_pdf("javascript.pdf", _javascript), pages=2),  # stored, never run
    Kind("pdf-junk-before-header", lambda d: _write(d, "rac-dau.pdf", b"\x00SCANNER\n" + _pdf_bytes(1)), pages=1),
    Kind("jpeg-cut", _cut("cat.jpg", 0.5, lambda: _image_bytes("JPEG")), "corrupt-image"),
    Kind("png-cut", _cut("cat.png", 0.5, lambda: _image_bytes("PNG")), "corrupt-image"),
    Kind("tiff-multipage-cut", _cut("cat-nhieu.tif", 0.7, lambda: _image_bytes("TIFF", 3, compression="tiff_lzw")),
         "corrupt-image"),
    Kind("tiff-cut-in-header", _cut("cat-dau.tif", 0.004, lambda: _image_bytes("TIFF", compression="tiff_lzw")),
         "corrupt-image"),
    Kind("png-bomb", _bomb_png, "too-many-pixels"),
    Kind("tiff-huge-header", _tiff_huge_header, "too-many-pixels"),
    Kind("png-named-jpg", lambda d: _write(d, "that-ra-png.jpg", _image_bytes("PNG")), pages=1),
    Kind("jpeg-with-zip-appended", _polyglot_jpeg_zip, pages=1),  # the JPEG it is; the tail is never read
    Kind("script-mentioning-pdf", _polyglot_script_pdf, "corrupt-pdf"),
    Kind("zip-named-pdf", _zip_as_pdf, "unsupported-type"),
    Kind("executable-named-pdf", _executable, "unsupported-type"),
    Kind("gif", lambda d: _write(d, "anh.gif", _image_bytes("GIF")), "unsupported-type"),
    Kind("bmp", lambda d: _write(d, "anh.bmp", _image_bytes("BMP")), "unsupported-type"),
    Kind("html-named-jpg", lambda d: _write(d, "trang.jpg", b"<html><script>alert(1)</script></html>"),
         "unsupported-type"),
    Kind("name-control-char", lambda d: _scan(d, "ho\x07so.png"), "hostile-name"),
    Kind("name-rtl-override", lambda d: _scan(d, "ho\u202egnp.exe.png"), "hostile-name"),
    Kind("name-backslash", lambda d: _scan(d, "ho\\so.png"), "hostile-name"),
    Kind("name-undecodable-bytes", lambda d: _scan(d, os.fsdecode(b"ho-so-\xff\xfe.png")), "hostile-name"),
    Kind("name-230-ascii-bytes", lambda d: _scan(d, "a" * 226 + ".png"), "name-too-long"),
    Kind("name-247-vietnamese-bytes", lambda d: _write(d, VIETNAMESE_LONG, _pdf_bytes(1)), "name-too-long"),
    Kind("link-to-outside-png", _link("lien-ket.png", _outside_png), "link"),
    Kind("link-to-outside-folder", _link("lien-ket-thu-muc", _outside_folder), "link"),
    Kind("link-to-proc-cwd", _link("proc-cwd", lambda d: "/proc/1/cwd"), "link"),
    Kind("link-to-proc", _link("proc", lambda d: "/proc"), "link"),
    Kind("link-dangling", _link("treo.pdf", lambda d: d / "khong-co.pdf"), "link"),
    Kind("link-to-itself", _link("vong.pdf", lambda d: d / "vong.pdf"), "link"),
    Kind("link-to-dev-zero", _link("zero.pdf", lambda d: "/dev/zero"), "link"),
    Kind("fifo", _fifo, "special-file"),
    Kind("unix-socket", _socket, "special-file"),
    Kind("device-file", _device, "special-file"),
    Kind("folder-with-fifo", _folder("co-fifo", _fifo_inside), "special-file"),
    Kind("folder-with-link", _folder("co-lien-ket", _link_inside), "link"),
    Kind("folder-with-folder", _folder("long-nhau", _nested), "nested-folder"),
    Kind("folder-with-bad-page", _folder("trang-hong", _bad_page_inside), "corrupt-image"),
    Kind("folder-of-2100-files", _folder("qua-nhieu", _many_files), "too-many-files"),
)
