"""Text keys the classifier and search compare: NFC, diacritics folded (đ→d), lower case.

OCR drops or garbles Vietnamese marks and citizens type without them, so every comparison is made
on folded text, both sides. Dotted leaders ("........", "…", "___") are form furniture that OCR
reproduces unevenly: they are removed so they neither help nor hurt a match.
"""

from __future__ import annotations

import re

from vntext import fold, nfc

_LEADERS = re.compile(r"(?:\.\s?){3,}|…+|·{2,}|_{3,}|-{4,}")
_SPACES = re.compile(r"\s+")


def fold_key(text: str) -> str:
    """Folded, lower-case, leader-free, single-spaced text: the key for matching and search."""
    return _SPACES.sub(" ", _LEADERS.sub(" ", fold(text).lower())).strip()


def clean_line(text: str) -> str:
    """A line as printed, NFC, without dotted leaders and runs of spaces (for evidence shown to people)."""
    return _SPACES.sub(" ", _LEADERS.sub(" ", nfc(text))).strip(" .:;")


def page_lines(text: str) -> list[str]:
    """The non-empty lines of a page, cleaned; the unit titles and labelled lines are found in."""
    return [line for line in (clean_line(raw) for raw in nfc(text).splitlines()) if line]


def initials(words: list[str]) -> str:
    """First letters of folded words: "lý lịch tư pháp" → "lltp", the way clerks abbreviate."""
    return "".join(word[0] for word in words if word)
