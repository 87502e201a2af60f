"""Telling apart procedures that the form alone cannot: the evidence that differs between them.

Several procedures share one form (CT01 serves đăng ký thường trú, tạm trú and khai báo tạm vắng)
and a national catalog holds near-namesakes ("Đăng ký khai sinh", "... có yếu tố nước ngoài",
"... lưu động", "Đăng ký lại khai sinh"). What tells them apart is which procedure's *name* the
dossier states, however it states it: a "Nội dung đề nghị" sentence, a ticked box among several
printed options, an abbreviation ("ĐKTT"), the receipt slip's line, a hand-written request. So
each candidate's name is looked for in every statement of the application pages and slips, and
the candidate whose whole name is stated best wins, provided it leads the others clearly; a
longer name fully stated beats a shorter one it contains (the specific procedure was named).

Statements are the page's lines, except that a line with check boxes keeps only what follows a
ticked box, and a field label ("Nơi thường trú: ...") is not a statement: only its value is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from procedures.matching import CatalogIndex, expand_abbreviations
from procedures.pages import PageView, ticked

_LABEL = re.compile(r"^[^:]{2,45}:\s*")
_CLEAR_LEAD = 8.0
_STATED = 80.0
_FULLY = 99.0


@dataclass(frozen=True)
class Statement:
    """A candidate's name as the dossier states it: the best similarity 0-100, where, and how it reads."""

    procedure: str
    similarity: float
    page: int
    text: str
    shared: bool = False


def statements(view: PageView) -> list[str]:
    """What a page states, line by line: ticked options, labelled values, plain sentences."""
    found: list[str] = []
    lines = [view.slip_line] if view.is_slip and view.slip_line else view.lines
    for line in lines:
        options = ticked(line)
        if options is not None:
            found += options
            continue
        value = _LABEL.sub("", line, count=1) if not view.is_slip else line
        if value.strip():
            found.append(value.strip())
    return found


def _alternatives(text: str) -> list[str]:
    """`text` and each reading of its coordinated verbs: "đổi, cấp lại giấy phép" states "đổi giấy
    phép" and "cấp lại giấy phép" (up to three words on either side of the comma)."""
    readings = [text]
    before, comma, after = text.partition(", ")
    if comma and before and after:
        head, tail = before.split(), after.split()
        for size in (1, 2, 3):
            if size < len(tail):
                readings.append(" ".join([*head, *tail[size:]]))
            if size <= len(head):
                readings.append(" ".join([*head[:-size], *tail]))
    return readings


def _stated(name: str, words: list[str], text: str) -> float:
    """How fully `text` states the folded `name` (0-100); a shorter text is compared whole."""
    best = 0.0
    for number, alternative in enumerate(_alternatives(text)):
        reading = expand_abbreviations(alternative, words)
        similarity = fuzz.ratio(name, reading) if len(reading) < len(name) else fuzz.partial_ratio(name, reading)
        # A reading of coordinated verbs counts only when it states the name exactly: dropping
        # words from a line must not make a near-miss look like a statement.
        if number == 0 or similarity >= _FULLY:
            best = max(best, similarity)
    return best


def distinguish(views: list[PageView], pages: set[int], candidates: list[str],
                index: CatalogIndex) -> list[Statement]:
    """The candidates the dossier states, best first (empty when it states none of them).

    `pages` are the application pages and slips to read. A first statement that does not lead
    the second by the clear margin means the dossier does not say which one it is. Statements of a
    line naming several candidates follow, marked `shared`: they tell none apart.
    """
    texts = [(view.number, text) for view in views if view.number in pages for text in statements(view)]
    per_text: dict[tuple[int, str], dict[str, float]] = {}
    for pid in candidates:
        for words in index.names.get(pid, []):
            name = " ".join(words)
            for page, text in texts:
                similarity = _stated(name, words, text)
                # Of two names both fully stated, the longer is the more specific statement.
                similarity += min(len(name), 80) / 1000 if similarity >= 99 else 0
                found = per_text.setdefault((page, text), {})
                found[pid] = max(found.get(pid, 0.0), similarity)
    best: dict[str, Statement] = {}
    ambiguous: list[Statement] = []
    for (page, text), found in per_text.items():
        full = [pid for pid, similarity in found.items() if similarity >= _FULLY]
        if _names_several(full, index):
            # "Đổi, cấp lại giấy phép lái xe" asks for one of two procedures and says not which:
            # it tells them apart no more than a line of boxes OCR lost.
            ambiguous += [Statement(pid, found[pid], page, text, shared=True) for pid in full]
            continue
        for pid, similarity in found.items():
            if similarity > best.get(pid, Statement(pid, 0.0, 0, "")).similarity:
                best[pid] = Statement(pid, similarity, page, text)
    ranked = sorted(best.values(), key=lambda s: -s.similarity)
    return (ranked if ranked and ranked[0].similarity >= _STATED else []) + ambiguous


def _names_several(full: list[str], index: CatalogIndex) -> bool:
    """Whether fully stated names are several procedures, not one named inside a longer one."""
    names = {pid: [" ".join(words) for words in index.names.get(pid, [])] for pid in full}
    for pid in full:
        for other in full:
            if pid != other and not any(a in b or b in a for a in names[pid] for b in names[other]):
                return True
    return False


def lead(ranked: list[Statement]) -> float:
    """How far the first statement leads the second, in similarity points."""
    alone = [s for s in ranked if not s.shared]
    if not alone:
        return 0.0
    return alone[0].similarity - (alone[1].similarity if len(alone) > 1 else 0.0)


def is_clear(points: float) -> bool:
    """Whether a lead tells the candidates apart."""
    return points >= _CLEAR_LEAD


def equally_stated(ranked: list[Statement]) -> list[str]:
    """The candidates whose whole names one statement holds: a line naming several (boxes OCR lost) names none.

    Names stated in different places do not count: a late-registration form says "I did register
    the birth" in its body, which is no request for a birth registration.
    """
    shared = list(dict.fromkeys(s.procedure for s in ranked if s.shared))
    if shared:
        return shared
    if len(ranked) < 2 or ranked[1].similarity < _FULLY:
        return []
    first = ranked[0]
    return [s.procedure for s in ranked if s.similarity >= _FULLY and (s.page, s.text) == (first.page, first.text)]
