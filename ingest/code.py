"""Reading the dossier code (mã hồ sơ) from a name, a receipt slip's text or its QR code.

The pattern is observed, not defined by a text we could read (domain.md): `{agency}-{yymmdd}-{seq}`
with a 4-7 digit sequence. So parsing is lenient and a dossier is never refused for its code.
Read from a scan, the agency part's look-alikes are put right where its shape leaves no doubt:
a part such as "H57" is a capital then digits, so OCR's "HS7" is "H57".
"""

from __future__ import annotations

import re
from pathlib import Path

from vntext import fold

CODE = re.compile(r"(?<![0-9A-Z.])([0-9A-Z][0-9A-Z.]*[0-9A-Z]-\d{6}-\d{4,7})(?!\d)")
# "Mã số hồ sơ: H15.50.05.13-261008-0975" on the slip, OCR noise around the colon tolerated.
# An agency code part that is a capital then digits, with OCR's letter look-alikes among the digits.
LETTER_THEN_DIGITS = re.compile(r"^([A-Z])([0-9SOIBZG]*[0-9][0-9SOIBZG]*)$")
DIGIT_LOOK_ALIKES = str.maketrans("SOIBZG", "501826")
LABELLED = re.compile(r"ma\s*(?:so\s*)?ho\s*so\W{0,4}([0-9A-Z][0-9A-Z. ]*[0-9A-Z]\s*-\s*\d{6}\s*-\s*\d{4,7})",
                      re.IGNORECASE)


def code_from_name(name: str) -> str | None:
    """A code written as the file or folder name, e.g. `000.00.21.H39-250312-0007.pdf`."""
    for candidate in (Path(name).stem, name):  # "H57.132-260804-0583" has no real extension
        if match := CODE.fullmatch(candidate) or CODE.search(candidate):
            return match.group(1)
    return None


def code_from_text(text: str) -> str | None:
    """The code printed on a receipt slip: the labelled line first, then any code-shaped token."""
    labelled = LABELLED.search(fold(text))
    if labelled:
        return _agency_digits(re.sub(r"\s+", "", labelled.group(1)))
    match = CODE.search(text)
    return _agency_digits(match.group(1)) if match else None


def _agency_digits(code: str) -> str:
    agency, _, rest = code.partition("-")
    parts = [(m.group(1) + m.group(2).translate(DIGIT_LOOK_ALIKES)) if (m := LETTER_THEN_DIGITS.match(part))
             else part for part in agency.split(".")]
    return ".".join(parts) + "-" + rest


def code_from_image(image: Path, dpi: float = 300.0) -> str | None:
    """A code held in a QR code or barcode on the page (zxing-cpp), when a vendor printed one.

    Kept cheap, a quarter of the cost of zxing-cpp's defaults (72 -> 18 ms a page): pages scanned
    at 200 dpi or more are decoded at half size, where a slip's QR modules are still 2-3 pixels
    wide, only the symbologies counter software prints are tried, and never as light-on-dark.
    """
    import cv2
    import zxingcpp

    flag = cv2.IMREAD_REDUCED_GRAYSCALE_2 if dpi >= 200 else cv2.IMREAD_GRAYSCALE
    picture = cv2.imread(str(image), flag)
    if picture is None:
        return None
    kinds = zxingcpp.BarcodeFormat
    printed = (kinds.QRCode, kinds.DataMatrix, kinds.PDF417, kinds.Aztec, kinds.Code128, kinds.Code39)
    for barcode in zxingcpp.read_barcodes(picture, formats=printed, try_invert=False):
        if code := code_from_text(barcode.text):
            return code
    return None
