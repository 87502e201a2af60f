"""Deciding whether a PDF's existing text layer can be kept instead of running OCR.

Born-digital PDFs and pages already OCRed by a scanner carry text that is better than anything
OCR would make of the image, and keeping it saves the page's OCR time. But a text layer can be
empty (a scan), legacy-encoded (TCVN3/VNI, unreadable and unsearchable as it stands), or garbage
(a font without a Unicode map, extracted as private-use or replacement characters). Those pages
are OCRed again; the reason is reported.
"""

from __future__ import annotations

import unicodedata

from ocr.text import legacy_encoding

MIN_CHARACTERS = 20  # fewer than this is a scan with a stray label, not a text layer
MIN_READABLE_SHARE = 0.9  # letters, digits, punctuation and spaces among the characters


def text_layer_problem(text: str | None) -> str | None:
    """Why this text layer should not be trusted, or None when it should be kept."""
    stripped = "".join((text or "").split())
    if len(stripped) < MIN_CHARACTERS:
        return "empty"
    encoding = legacy_encoding(text or "")
    if encoding:
        return f"legacy encoding ({encoding.upper()})"
    readable = sum(1 for c in stripped if unicodedata.category(c)[0] in "LNP" and c != "\ufffd")
    if readable < MIN_READABLE_SHARE * len(stripped):
        return "garbage"
    return None
