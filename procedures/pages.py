"""Reading one page: its lines, the labelled lines that name a request, and what kind of paper it is.

A dossier mixes the application form with the receipt slip and supporting papers (ID cards,
certificates, contracts). The page kinds are told apart by layout conventions common to all
one-stop paperwork, not by any procedure: a receipt slip is titled "... tiếp nhận hồ sơ và hẹn trả
kết quả" (forms 01 and CT04); an application is addressed to an authority ("Kính gửi") under a
heading that starts with a request word (tờ khai, đơn, giấy đề nghị, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from rapidfuzz import fuzz

from procedures.text import fold_key, page_lines

APPLICATION = "application_form"
RECEIPT_SLIP = "receipt_slip"
SUPPORTING = "supporting"
UNKNOWN = "unknown"

RECEIPT_TITLES = (
    "giay tiep nhan ho so va hen tra ket qua",
    "phieu tiep nhan ho so va hen tra ket qua",
    "giay tiep nhan ho so",
    "phieu tiep nhan ho so",
)
# Headings that open a request to an authority (folded). A title starting so is the application.
REQUEST_WORDS = (
    "to khai",
    "don ",
    "giay de nghi",
    "phieu de nghi",
    "phieu yeu cau",
    "van ban de nghi",
    "thong bao thay doi",
    "ban khai",
    "de nghi",
)
_SLIP_LABEL = "noi dung yeu cau giai quyet"
# On a page known to be a slip, counter software also prints the request under these labels.
_SLIP_LABELS = (_SLIP_LABEL, "noi dung yeu cau", "ten thu tuc", "thu tuc", "ten thu tuc hanh chinh")
_CONTENT_LABELS = ("noi dung de nghi", "noi dung yeu cau", "de nghi")
# Words after which a letter states what it asks for: "V/v: ...", "Về việc ...", "đề nghị được ...".
_ASKING = re.compile(r"(?:^|\s)(?:v/v|v\.v|ve viec|de nghi(?: duoc| cho| quy co quan| co quan)?(?: giai quyet)?"
                     r"|giai quyet(?: viec)?|xin(?: duoc)?|yeu cau)\s*[:.]?\s+(?:viec\s+|thu tuc\s+)?(?P<what>.{6,})$")
_FORM_ID = re.compile(r"^\s*(mau(?: so)?\s*[:.]?\s*\S.*)$")
_HEADING_ZONE = 14
_SHORT_LINE = 45
_MIN_TEXT = 40


# Boxes as printed and as OCR reads them: ticked (☒ ☑ ✓ [x] (x)) and empty (☐ □ [ ] ( )).
_BOX = re.compile(r"(☒|☑|✓|✔|☐|□|❑|\[\s*[xX✓vV]?\s*\]|\(\s*[xX]?\s*\))")
_TICKED = re.compile(r"☒|☑|✓|✔|[xX✓vV]")


def ticked(line: str) -> list[str] | None:
    """The options ticked on a line of check boxes, or None when the line has no box.

    A form listing "☐ Đăng ký thường trú ☒ Đăng ký tạm trú" asks for what follows the ticked box
    only; an empty box's text is an option not chosen.
    """
    parts = _BOX.split(line)
    if len(parts) < 2:
        return None
    return [text.strip(" .;,") for box, text in zip(parts[1::2], parts[2::2], strict=False)
            if _TICKED.search(box) and text.strip(" .;,")]


def is_request_title(folded_title: str) -> bool:
    """Whether a (folded) title is the heading of a request addressed to an authority."""
    return folded_title.startswith(REQUEST_WORDS)


@dataclass
class PageView:
    """One page as the classifier sees it; `number` is 1-based, lines are as printed and folded."""

    number: int
    lines: list[str]
    keys: list[str]
    windows: list[tuple[int, int, str]] = field(default_factory=list)
    is_slip: bool = False
    request_heading: str | None = None
    addressed: bool = False
    slip_line: str | None = None
    content_line: str | None = None
    form_ids: list[str] = field(default_factory=list)
    stated: list[str] = field(default_factory=list)
    has_heading: bool = False
    opens_paper: bool = False

    @property
    def text_length(self) -> int:
        return sum(len(key) for key in self.keys)


def _labelled_value(lines: list[str], keys: list[str], index: int, label_end: int) -> str:
    """The value after a label, joined with a wrapped continuation line when there is one."""
    value = lines[index][label_end:].lstrip(" :.")
    following = index + 1
    if following < len(lines) and not re.match(r"^\s*(\d+[.)]|[a-zđ][.)]|-)", keys[following]) \
            and ":" not in lines[following] and len(keys[following]) < 90 and value.endswith(","):
        value = f"{value} {lines[following]}"
    return value.strip(" .:,")


def _find_label(keys: list[str], label: str, limit: int = 45) -> tuple[int, int] | None:
    """(line index, end of label in the printed line) of the first line starting with `label`, fuzzily.

    The colon after a label is small and OCR sometimes loses it: then the line's start is compared
    with the label instead.
    """
    for index, key in enumerate(keys):
        head = key[: min(len(key), limit)]
        numbered = re.match(r"^\s*\d+[.)]?\s*", head)
        skip = numbered.end() if numbered else 0
        colon = head.find(":")
        if colon > skip and fuzz.ratio(head[skip:colon], label) >= 85:
            return index, colon + 1
        if colon < 0 and len(label) >= 10 and fuzz.ratio(head[skip : skip + len(label)], label) >= 90:
            return index, skip + len(label)
    return None


_DIGIT_AS_LETTER = str.maketrans("01568", "olsgb")
_MIXED_WORD = re.compile(r"\b(?=\w*[a-z])(?=\w*\d)\w+\b")


def _deconfuse(key: str) -> str:
    """Digits OCR read inside words turned back to the letters they resemble: "d0n" → "don"."""
    return _MIXED_WORD.sub(lambda m: m.group().translate(_DIGIT_AS_LETTER), key)


def _is_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def read_page(number: int, text: str) -> PageView:
    """Analyse one page's text: windows to match titles in, labelled lines, layout clues."""
    lines = page_lines(text)
    keys = [fold_key(line) for line in lines]
    view = PageView(number=number, lines=lines, keys=keys)
    # Titles wrap over up to three lines; each window is one, two or three consecutive lines. A
    # wrapped title is printed in capitals or in short lines: windows joining long lines of body
    # text are not looked at, which keeps a 2,642-procedure catalog's title search fast.
    shapes = [_deconfuse(key) for key in keys]
    wraps = [_is_heading(line) or len(key) <= _SHORT_LINE for line, key in zip(lines, keys, strict=True)]
    for i in range(len(keys)):
        for size in (1, 2, 3):
            if i + size <= len(keys) and (size == 1 or all(wraps[i : i + size - 1])):
                view.windows.append((i, size, " ".join(shapes[i : i + size])))
    top = keys[:_HEADING_ZONE]
    view.is_slip = any(fuzz.ratio(k, title) >= 80 for k in top for title in RECEIPT_TITLES) or any(
        fuzz.ratio(f"{a} {b}", title) >= 85 for a, b in pairwise(top) for title in RECEIPT_TITLES[:2]
    )
    # Every paper starts with the national motto or an agency header; a form's later pages do not.
    view.opens_paper = any(fuzz.partial_ratio("cong hoa xa hoi chu nghia", k) >= 85 for k in keys[:6]) or (
        bool(lines) and _is_heading(lines[0]))
    view.addressed = any(fuzz.partial_ratio("kinh gui", k[:12]) >= 85 for k in top)
    for line, key in zip(lines[:_HEADING_ZONE], top, strict=False):
        if _is_heading(line):
            view.has_heading = True
            if view.request_heading is None and is_request_title(key):
                view.request_heading = line
    for label in _SLIP_LABELS if view.is_slip else (_SLIP_LABEL,):
        slip = _find_label(keys, label)
        if slip:
            view.slip_line = _labelled_value(lines, keys, *slip)
            break
    if not view.is_slip:
        for label in _CONTENT_LABELS:
            found = _find_label(keys, label)
            if found:
                value = _labelled_value(lines, keys, *found)
                options = ticked(value)
                view.content_line = value if options is None else " ".join(options) or None
                break
    view.form_ids = [m.group(1) for k in keys[:8] if (m := _FORM_ID.match(k))]
    if not view.is_slip and (view.addressed or view.request_heading):
        for line, key in zip(lines[:40], keys[:40], strict=False):
            asked = _ASKING.search(key)
            if asked and len(view.stated) < 4:
                options = ticked(line)
                if options is None:
                    view.stated.append(asked.group("what").strip(" .:;,()"))
                else:
                    view.stated += [fold_key(option) for option in options]
    return view


def page_type(view: PageView, matched: bool, form_found: bool, after_application: bool) -> str:
    """The page's kind.

    `matched`: a catalog form title was found on this page; `form_found`: on some page of the
    dossier (then other addressed papers, such as a sworn statement, are supporting papers);
    `after_application`: the previous page is the application, so a page that opens no new paper
    is its continuation.
    """
    if view.is_slip:
        return RECEIPT_SLIP
    if matched or (after_application and not view.opens_paper and view.text_length >= _MIN_TEXT):
        return APPLICATION
    if not form_found and (view.request_heading or (view.addressed and view.has_heading)):
        return APPLICATION
    if view.text_length < _MIN_TEXT:
        return UNKNOWN
    return SUPPORTING if view.has_heading else UNKNOWN
