"""Making our own scans: Vietnamese text rendered with a font that has every glyph, then degraded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
DPI = 200

PROSE = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Ủy ban nhân dân phường tiếp nhận hồ sơ đăng ký",
    "khai sinh của công dân và hẹn ngày trả kết quả",
    "theo quy định của pháp luật về hộ tịch hiện hành.",
    "Người nộp hồ sơ chịu trách nhiệm trước pháp luật",
    "về tính chính xác của các giấy tờ đã cung cấp.",
]


def render(lines: list[str], size_pt: float = 13, width_in: float = 8.27, height_in: float = 5.5,
           leaders: bool = False) -> Image.Image:
    """A greyscale page at 200 dpi with the lines printed from the top left, leaders optional."""
    px = int(size_pt * DPI / 72)
    font = ImageFont.truetype(FONT, px)
    page = Image.new("L", (int(width_in * DPI), int(height_in * DPI)), 245)
    draw = ImageDraw.Draw(page)
    y = DPI // 2
    for line in lines:
        draw.text((DPI // 2, y), line, font=font, fill=20)
        if leaders:
            end = draw.textbbox((DPI // 2, y), line, font=font)[2] + px // 3
            draw.text((end, y), "." * max(0, (page.width - DPI // 2 - end) // max(1, px // 4) - 2), font=font,
                      fill=20)
        y += int(px * 1.6)
    return page


def degrade(page: Image.Image, skew: float = 0.0, blur: float = 0.6, noise: float = 5.0, seed: int = 0) -> Image.Image:
    """Scanner defects: a small rotation, blur, grain."""
    page = page.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=245, expand=False)
    page = page.filter(ImageFilter.GaussianBlur(blur))
    grain = np.random.default_rng(seed).normal(0, noise, (page.height, page.width))
    return Image.fromarray(np.clip(np.asarray(page, dtype=np.float64) + grain, 0, 255).astype(np.uint8))


def save(page: Image.Image, path: Path, **kw: object) -> Path:
    page.save(path, dpi=(DPI, DPI), **kw)
    return path


def render_slip(signature: bool = True) -> Image.Image:
    """A receipt slip laid out as counters print them: a two-column header, a ruled table with a
    wrapped cell, and two signature blocks with a scribbled signature above each name."""
    px = int(12 * DPI / 72)
    font = ImageFont.truetype(FONT, px)
    page = Image.new("L", (int(8.27 * DPI), int(7 * DPI)), 250)
    draw = ImageDraw.Draw(page)

    def centred(text: str, centre: int, y: int) -> None:
        draw.text((centre - draw.textlength(text, font=font) / 2, y), text, font=font, fill=15)

    left, right = page.width // 4, 3 * page.width // 4 - 40
    for y, (a, b) in enumerate([("UBND PHƯỜNG HÒA THUẬN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
                                ("BỘ PHẬN MỘT CỬA", "Độc lập - Tự do - Hạnh phúc"),
                                ("Mã hồ sơ: H22-250328-0762", "Phường Hòa Thuận, ngày 28")]):
        centred(a, left, 120 + y * 45)
        centred(b, right, 120 + y * 45)
    rows, top = [("Thành phần", "Số lượng"), ("Tờ khai đăng ký khai sinh", "01 bản chính")], 340
    for i, (a, b) in enumerate(rows):
        draw.text((130, top + 12 + i * 60), a, font=font, fill=15)
        draw.text((900, top + 12 + i * 60), b, font=font, fill=15)
    for y in (top, top + 55, top + 115):
        draw.line([(110, y), (1500, y)], fill=15, width=3)
    for x in (110, 880, 1500):
        draw.line([(x, top), (x, top + 115)], fill=15, width=3)
    signers = [("NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN"), ("(Ký, ghi rõ họ tên)", "(Ký, ghi rõ họ tên)")]
    for y, (a, b) in enumerate(signers):
        centred(a, left, 560 + y * 45)
        centred(b, right, 560 + y * 45)
    if signature:
        for centre in (left, right):
            points = [(centre - 90 + 12 * k, 700 + (50 if k % 2 else 0) - 3 * k) for k in range(16)]
            draw.line(points, fill=10, width=3)
    centred("Nguyễn Thị Hường", left, 820)
    centred("Dương Văn Hưởng", right, 820)
    return page
