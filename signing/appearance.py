"""What a signature looks like on the page, per Nghị định 30/2020/NĐ-CP.

Two kinds of stamp:

* `SignatureAppearance`, on a result: the signer's title and agency above, the handwritten
  signature image (blue) with the agency's seal image (red, real size) over its left third in the
  middle, the signer's name below, and the signing time in ISO 8601 with Vietnam's offset.
* `CopyAppearance`, on a digitized copy ("sao y từ văn bản giấy sang văn bản điện tử"): the
  agency's signature in the upper right of page 1, no image, stating the copy type, the agency and
  the time.

Only plain values live here; `pades` turns them into pyHanko stamp styles and places them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.layout import AxisAlignment, InnerScaling, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

from signing.fonts import StampFont

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
"""Vietnam has kept UTC+07:00 all year since 1975: a fixed offset, no tz database needed."""

POINTS_PER_MM = 72 / 25.4
Box = tuple[int, int, int, int]
"""A rectangle on the page in PDF points: (left, bottom, right, top)."""


def vietnam_time(at: datetime | None = None) -> str:
    """`at` (default now) as ISO 8601 with the +07:00 offset, as ND 30/2020 prints it."""
    at = at or datetime.now(VIETNAM_TIME)
    return at.astimezone(VIETNAM_TIME).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class SignatureAppearance:
    """The visible signature of an official or of the agency on a result document.

    `page` counts from 0; negative values count from the end (the default, -1, is the last page,
    where the signature block of a Vietnamese administrative document sits). `box` defaults to a
    block in the lower right of that page.
    """

    name: str
    title: str | None = None
    agency: str | None = None
    signature_image: Path | None = None
    seal_image: Path | None = None
    page: int = -1
    box: Box | None = None

    def lines(self) -> list[str]:
        head = [line for line in (self.title, self.agency) if line]
        gap = [""] * 5 if (self.signature_image or self.seal_image) else [""]
        return [*head, *gap, self.name, "%(time)s"]


@dataclass(frozen=True)
class CopyAppearance:
    """The agency's signature on a digitized copy: upper right of page 1, text only."""

    agency: str
    copy_type: str = "Sao y từ văn bản giấy sang văn bản điện tử"
    page: int = 0
    box: Box | None = None

    def lines(self) -> list[str]:
        return [self.copy_type, self.agency, "%(time)s"]


Appearance = SignatureAppearance | CopyAppearance


def default_box(appearance: Appearance, page_width: float, page_height: float) -> Box:
    """Where a stamp goes when the caller does not say: lower right for results, upper right for copies."""
    margin = 36
    if isinstance(appearance, CopyAppearance):
        width, height = 250, 58
        return (int(page_width - margin - width), int(page_height - margin - height),
                int(page_width - margin), int(page_height - margin))
    images = appearance.signature_image or appearance.seal_image
    width, height = 230, (4 + 10 * 13 + 4 if images else 80)
    return (int(page_width - margin - width), margin + 20, int(page_width - margin), margin + 20 + height)


def compose_images(signature: Path | None, seal: Path | None) -> Image.Image | None:
    """The handwritten signature with the seal over its left third, as one transparent image.

    The seal is drawn on top: on paper the clerk stamps over the official's signature.
    """
    sig = Image.open(signature).convert("RGBA") if signature else None
    stamp = Image.open(seal).convert("RGBA") if seal else None
    if sig is None or stamp is None:
        return sig or stamp
    sig_x = max(0, stamp.width - sig.width // 3)
    width = max(sig_x + sig.width, stamp.width)
    height = max(sig.height, stamp.height)
    canvas = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    canvas.alpha_composite(sig, (sig_x, (height - sig.height) // 2))
    canvas.alpha_composite(stamp, (0, (height - stamp.height) // 2))
    return canvas


def stamp_style(appearance: Appearance, font: StampFont, box_height: float) -> TextStampStyle:
    """A pyHanko stamp style for `appearance` in a box `box_height` points tall.

    The time is filled in per document as `%(time)s`. With images, the text is centred and the
    images fill exactly the blank lines between title and name, as ND 30/2020 places them.
    """
    line_height = font.size + 3
    text_style = TextBoxStyle(font=font, font_size=font.size, leading=line_height)
    lines = appearance.lines()
    stamp_text = "\n".join(_escape(line) for line in lines)
    image = None
    if isinstance(appearance, SignatureAppearance):
        image = compose_images(appearance.signature_image, appearance.seal_image)
    if image is None:
        centred = SimpleBoxLayoutRule(x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID,
                                      margins=Margins(left=4, right=4, top=4, bottom=4),
                                      inner_content_scaling=InnerScaling.SHRINK_TO_FIT)
        return TextStampStyle(stamp_text=stamp_text, text_box_style=text_style, border_width=0,
                              inner_content_layout=centred)
    centred = SimpleBoxLayoutRule(x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID,
                                  inner_content_scaling=InnerScaling.NO_SCALING)
    above_text = max(0.0, (box_height - len(lines) * line_height) / 2)
    first_gap, gap_lines = lines.index(""), lines.count("")
    image_top = above_text + first_gap * line_height + 2
    image_bottom = above_text + (len(lines) - first_gap - gap_lines) * line_height + 2
    image_layout = SimpleBoxLayoutRule(x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID,
                                       margins=Margins(left=4, right=4, top=image_top, bottom=image_bottom),  # type: ignore[arg-type]
                                       inner_content_scaling=InnerScaling.SHRINK_TO_FIT)
    return TextStampStyle(stamp_text=stamp_text, text_box_style=text_style, border_width=0,
                          inner_content_layout=centred, background=PdfImage(image),
                          background_layout=image_layout, background_opacity=1.0)


def _escape(line: str) -> str:
    """Keep a `%` in a name or title from being read as a template field."""
    return line if line == "%(time)s" else line.replace("%", "%%")
