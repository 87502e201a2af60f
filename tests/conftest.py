"""Fixtures shared by every test package: real scans rendered from Vietnamese text, and sohoa homes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from settings import Settings

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
# The few public samples the tests read (manifest, page truths, six dossiers), shipped with the
# tests so that a clone alone runs its suite; the benchmarks read the full set in ../shared/samples.
SAMPLES = Path(__file__).resolve().parent / "data" / "samples"


def render_page(lines: list[str], *, dpi: int = 200, size_pt: float = 12) -> Image.Image:
    """An A4 page at `dpi` with `lines` printed in a font that has every Vietnamese glyph."""
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), int(size_pt * dpi / 72))
    y = int(0.8 * dpi)
    for line in lines:
        draw.text((int(0.8 * dpi), y), line, font=font, fill=0)
        y += int(size_pt * dpi / 72 * 1.6)
    return page


def save_scan(path: Path, pages: list[list[str]], dpi: int = 200) -> Path:
    """Write pages as a PDF, multi-page TIFF, JPEG or PNG, by the path's extension."""
    images = [render_page(lines, dpi=dpi) for lines in pages]
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    elif suffix in (".tif", ".tiff"):
        images[0].save(path, "TIFF", compression="tiff_lzw", dpi=(dpi, dpi), save_all=True,
                       append_images=images[1:])
    elif suffix in (".jpg", ".jpeg"):
        images[0].save(path, "JPEG", quality=85, dpi=(dpi, dpi))
    else:
        images[0].save(path, "PNG", dpi=(dpi, dpi))
    return path


BIRTH_FORM = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "TỜ KHAI ĐĂNG KÝ KHAI SINH",
    "Kính gửi: Ủy ban nhân dân xã Bình Thạnh",
    "Họ, chữ đệm, tên người yêu cầu: NGUYỄN THỊ ĐOAN TRANG",
    "Nơi cư trú: ấp Gò Gòn, xã Bình Thạnh, tỉnh Long An",
    "Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:",
]
MARRIAGE_FORM = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "TỜ KHAI ĐĂNG KÝ KẾT HÔN",
    "Họ, chữ đệm, tên: TRẦN VĂN PHÚC",
    "Nơi cư trú: phường Tân An, tỉnh Tây Ninh",
]


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A fresh embedded sohoa home, also exported so `sohoa` subprocesses use it."""
    home = tmp_path / "var"
    monkeypatch.setenv("SOHOA_HOME", str(home))
    monkeypatch.setenv("SOHOA_SETTLE_SECONDS", "0.3")
    monkeypatch.setenv("SOHOA_OCR_JOBS", "2")
    yield Settings()
