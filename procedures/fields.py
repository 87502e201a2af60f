"""Fields read from a dossier's text: dossier code, applicant's name, personal ID number, dates.

They make a dossier findable ("the one for Nguyễn Văn A") and are personal data (Nghị định
13/2023): store them, but log them only through `mask`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from procedures.text import fold_key, page_lines

# Labels that introduce the applicant's name on forms and slips (folded), most specific first.
_NAME_LABELS = (
    "ho, chu dem va ten nguoi yeu cau",
    "ho, chu dem, ten nguoi yeu cau",
    "ho, chu dem va ten",
    "ho, chu dem, ten",
    "ho va ten",
    "ho ten",
    "ong/ba",
    "ho so cua ong/ba",
    "ten (viet chu in hoa)",
)
_ID = re.compile(r"(?<!\d)(\d{12})(?!\d)")
_ID_CONTEXT = ("dinh danh", "cccd", "can cuoc", "so / no", "cmnd")
_CODE = re.compile(r"\b([0-9A-Z][0-9A-Z.]*-\d{6}-\d{4,7})\b")
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)")
_WORDED_DATE = re.compile(r"ngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})")
_NAME_VALUE = re.compile(r"^([^\W\d_]+(?: [^\W\d_]+){1,5})")


@dataclass(frozen=True)
class Fields:
    """What could be read; absent fields are None or empty (the text may not hold them)."""

    dossier_code: str | None = None
    applicant_name: str | None = None
    personal_id: str | None = None
    dates: list[dt.date] = field(default_factory=list)


def _name_after_label(line: str, key: str) -> str | None:
    colon = key.find(":")
    if colon < 0:
        return None
    label = key[:colon].strip()
    label = re.sub(r"^[\d.]+\s*", "", label)
    if not any(label == known or label.endswith(known) for known in _NAME_LABELS):
        return None
    value = _NAME_VALUE.match(line[colon + 1 :].strip())
    if not value:
        return None
    words = value.group(1).split()
    if len(words) < 2 or not all(w[0].isupper() for w in words):
        return None
    return " ".join(w if not w.isupper() else w.capitalize() for w in words)


def _date(day: str, month: str, year: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def extract_fields(pages: Sequence[str]) -> Fields:
    """Read the fields from a dossier's pages (any order; the first occurrence wins)."""
    code = name = personal_id = None
    dates: list[dt.date] = []
    for page in pages:
        for line in page_lines(page):
            key = fold_key(line)
            if code is None and (match := _CODE.search(line)):
                code = match.group(1)
            if name is None:
                name = _name_after_label(line, key)
            if personal_id is None and any(c in key for c in _ID_CONTEXT) and (match := _ID.search(line)):
                personal_id = match.group(1)
            for match in (*_NUMERIC_DATE.finditer(key), *_WORDED_DATE.finditer(key)):
                found = _date(*match.groups())
                if found and found not in dates:
                    dates.append(found)
    return Fields(dossier_code=code, applicant_name=name, personal_id=personal_id, dates=dates)


def mask(value: str | None, keep: int = 2) -> str:
    """A value safe for logs: "082194416792" → "08********92", "Võ Thị Nguyệt" → "V** T** N*****".

    Keeps the ends of an ID number so an operator can tell two dossiers apart, and only the
    initials of a name.
    """
    if not value:
        return ""
    if value.replace(" ", "").isdigit():
        digits = value.replace(" ", "")
        if len(digits) <= 2 * keep:
            return "*" * len(digits)
        return digits[:keep] + "*" * (len(digits) - 2 * keep) + digits[-keep:]
    return " ".join(word[0] + "*" * (len(word) - 1) for word in value.split())
