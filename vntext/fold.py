"""Folding Vietnamese text for matching typed without diacritics ("dang ky khai sinh").

Folding works character by character on NFC text and maps every character to exactly one, so an
offset in the folded text is the same offset in the original: matches found in folded text can be
highlighted in the text the user reads. đ/Đ have no Unicode decomposition, so they are mapped by
hand: stripping combining marks alone would leave them.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


def nfc(text: str) -> str:
    """The one form text is stored and compared in: scanners, OCR and keyboards mix NFC and NFD."""
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in "đĐ":
        return "d" if char == "đ" else "D"
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return base if len(base) == 1 else char


def fold(text: str) -> str:
    """Text without tone and vowel marks, đ→d; same length as `nfc(text)`, case kept."""
    return "".join(_fold_char(c) if ord(c) > 127 else c for c in nfc(text))


def has_diacritics(text: str) -> bool:
    """Whether the user typed any Vietnamese mark: then exact matches should rank first."""
    text = nfc(text)
    return fold(text) != text
