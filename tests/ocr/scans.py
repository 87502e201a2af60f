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
