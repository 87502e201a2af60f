"""The order people number things in: page-2 before page-10, case ignored.

Here, in the leaf every room may import, so that the order pages are stored in (ingest) and the
order they are read in (ocr) are one definition.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders "page-2" before "page-10" (numbers compare as numbers, text without case)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part.lower()) for part in _DIGITS.split(name))
