"""Reading order: a page's words in the order a person reads them, not the order Tesseract lists them.

Tesseract reads a two-column header ("UBND PHƯỜNG ..." beside "CỘNG HÒA XÃ HỘI ...") straight
across both columns, orders signature blocks as it likes and breaks table rows at every wrapped
cell. People, and the scorers that measure us against them, read each column of a header or a
signature block top to bottom before the next, and a table row by row with every cell whole. On
the receipt slips of the public samples that difference alone was a 16% character error rate.

The order is rebuilt from the word boxes and from what cleaning found (clean.py):
1. table rows, the bands between two horizontal rules that vertical rules cross, become one line
   each: cells left to right, a cell's wrapped lines joined;
2. dotted leaders stand in for the words they join, so "Giới tính: Nam ...... Ngày sinh: ..." stays
   one line although the dots were erased before OCR;
3. lines are found, and a run of lines that part at a gutter into halves centred alike is a
   two-column block (a header, signature blocks): its left column is read, then its right one.
   The columns are told by their centring, not by a straight gutter through the whole block:
   the two columns of a header often overlap by a few pixels from one line to the next.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

GUTTER = 0.75  # narrowest column gutter, in median word heights (a word space is about 0.3)
SPREAD = 2.5  # a gutter is at least this many times a line's other spaces
ALIGN = 1.5  # lines of one column are centred within this many word heights of each other
REACH = 6.0  # a column's next line is at most this many word heights below (a signature's space)
TALL = 2.5  # words taller than this many median word heights are signatures or seals read as text
NOISE_CONFIDENCE = 50.0  # below this, a word without a letter or digit is a speck, not text
JUNK_CONFIDENCE = 15.0  # below this, a word is what is left of a signature or a seal, letters or not


@dataclass(frozen=True)
class Box:
    """A rectangle in page pixels; `right` and `bottom` are exclusive."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def centre_x(self) -> float:
        return (self.left + self.right) / 2

    @property
    def centre_y(self) -> float:
        return (self.top + self.bottom) / 2

    def holds(self, other: Box) -> bool:
        """Whether `other`'s centre lies inside this box: how a word is placed in a table cell."""
        return self.left <= other.centre_x < self.right and self.top <= other.centre_y < self.bottom


@dataclass(frozen=True)
class Word:
    """A recognized word and its box, in pixels of the upright, levelled page (`ocr.recognize.PageResult`)."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float

    @property
    def box(self) -> Box:
        return Box(self.left, self.top, self.left + self.width, self.top + self.height)


@dataclass(frozen=True)
class _Item:
    """Something to place in reading order: a word, a whole table row, or a leader (no text)."""

    box: Box
    text: str


def reading_order(words: Sequence[Word], leaders: Sequence[Box] = (),
                  horizontal_rules: Sequence[Box] = (), vertical_rules: Sequence[Box] = ()) -> str:
    """The page's text, one line per text line or table row, in reading order."""
    kept = [w for w in words if w.text.strip()]
    if not kept:
        return ""
    word_height = statistics.median(w.height for w in kept)
    kept = [w for w in kept if not _is_noise(w, word_height)]
    items = [_Item(w.box, w.text) for w in kept]
    # A leader is a row of dots on the baseline: give it a word's height so it joins its line.
    items = _table_rows(items, horizontal_rules, vertical_rules) + [
        _Item(Box(b.left, round(b.bottom - 0.8 * word_height), b.right, round(b.bottom + 0.2 * word_height)), "")
        for b in leaders]
    lines = _read(_lines(items), word_height)
    texts = (" ".join(i.text for i in line if i.text) for line in lines)
    return "\n".join(t for t in texts if t)


def _is_noise(word: Word, word_height: float) -> bool:
    if word.height > TALL * word_height:
        return True
    if word.confidence < JUNK_CONFIDENCE:
        return True
    return word.confidence < NOISE_CONFIDENCE and not any(c.isalnum() for c in word.text)


def table_cells(horizontal_rules: Sequence[Box], vertical_rules: Sequence[Box], slack: int) -> list[list[Box]]:
    """The cells of every ruled table row, top to bottom, each row's cells left to right.

    A row is the band between a horizontal rule and the next one below it that spans the same
    columns, provided at least one vertical rule crosses the band; a heading's underline has none.
    """
    rules = sorted(horizontal_rules, key=lambda r: r.centre_y)
    rows = []
    for i, upper in enumerate(rules):
        for lower in rules[i + 1:]:
            left, right = max(upper.left, lower.left), min(upper.right, lower.right)
            if lower.centre_y - upper.centre_y <= slack or right - left < 0.5 * min(
                    upper.right - upper.left, lower.right - lower.left):
                continue
            top, bottom = round(upper.centre_y), round(lower.centre_y)
            crossing = sorted(v.centre_x for v in vertical_rules
                              if v.top <= top + slack and v.bottom >= bottom - slack
                              and left - slack <= v.centre_x <= right + slack)
            if crossing:
                edges = [left] + [round(x) for x in crossing if left + slack < x < right - slack] + [right]
                rows.append([Box(a, top, b, bottom) for a, b in itertools.pairwise(edges)])
            break
    return rows


def _table_rows(items: list[_Item], horizontal_rules: Sequence[Box], vertical_rules: Sequence[Box]) -> list[_Item]:
    """The items with the words of each ruled table row replaced by one item for the whole row."""
    if not items or not horizontal_rules or not vertical_rules:
        return items
    slack = round(statistics.median(i.box.height for i in items) / 2)
    taken: set[_Item] = set()
    rows = []
    for cells in table_cells(horizontal_rules, vertical_rules, slack):
        texts = []
        for cell in cells:
            inside = [i for i in items if i not in taken and cell.holds(i.box)]
            if inside:
                taken.update(inside)
                texts.append(" ".join(i.text for line in _lines(inside) for i in line))
        if texts:
            rows.append(_Item(Box(cells[0].left, cells[0].top, cells[-1].right, cells[0].bottom), " ".join(texts)))
    return [i for i in items if i not in taken] + rows


_Halves = tuple[list[_Item], list[_Item]]


def _read(lines: list[list[_Item]], word_height: float) -> list[list[_Item]]:
    """The lines in reading order: each two-column block's left column, then its right one."""
    halves = [_halves(line, word_height) for line in lines]
    ordered: list[list[_Item]] = []
    i = 0
    while i < len(lines):
        block = _column_block(lines, halves, i, word_height)
        if block is None:
            ordered.append(lines[i])
            i += 1
        else:
            left, right, i = block
            ordered += left + right
    return ordered


def _halves(line: list[_Item], word_height: float) -> _Halves | None:
    """The line's left and right parts when it parts at a gutter, else None.

    A gutter is the widest space of the line, at least `GUTTER` word heights and `SPREAD` times
    its other spaces: a justified line stretches all of its spaces alike, a header does not.
    """
    spaces, reach = [], line[0].box.right
    for k, item in enumerate(line[1:], start=1):
        spaces.append((item.box.left - reach, k))
        reach = max(reach, item.box.right)
    if not spaces:
        return None
    widest, at = max(spaces)
    others = [space for space, k in spaces if k != at]
    if widest < GUTTER * word_height or (others and widest < SPREAD * statistics.median(others)):
        return None
    return line[:at], line[at:]


def _column_block(lines: list[list[_Item]], halves: list[_Halves | None], i: int, word_height: float
                  ) -> tuple[list[list[_Item]], list[list[_Item]], int] | None:
    """The two-column block starting at line `i`: its left lines, right lines and the next line's index.

    A block starts with two lines that both part into halves centred alike (header columns and
    signature blocks are centred). It goes on with lines that part the same way, or that sit
    whole under one column, centred with it: a signer's name lower than the other's, the "Số:"
    under the agency's name.
    """
    if i + 1 >= len(lines):
        return None
    here, after = halves[i], halves[i + 1]
    if here is None or after is None:
        return None
    left_centre, right_centre = _centre(here[0]), _centre(here[1])
    gutter_x = (max(it.box.right for it in here[0]) + min(it.box.left for it in here[1])) / 2
    tolerance = ALIGN * word_height

    def under(part: list[_Item], centre: float) -> bool:
        return abs(_centre(part) - centre) <= tolerance

    if not (under(after[0], left_centre) and under(after[1], right_centre)):
        return None
    left, right = [here[0], after[0]], [here[1], after[1]]
    j = i + 2
    while j < len(lines) and lines[j][0].box.top - max(left[-1][0].box.bottom, right[-1][0].box.bottom) \
            <= REACH * word_height:
        parts = halves[j]
        if parts is not None and under(parts[0], left_centre) and under(parts[1], right_centre):
            left.append(parts[0])
            right.append(parts[1])
        elif all(it.box.right < gutter_x for it in lines[j]) and under(lines[j], left_centre):
            left.append(lines[j])
        elif all(it.box.left > gutter_x for it in lines[j]) and under(lines[j], right_centre):
            right.append(lines[j])
        else:
            break
        j += 1
    return left, right, j


def _centre(part: list[_Item]) -> float:
    return (min(i.box.left for i in part) + max(i.box.right for i in part)) / 2


def _lines(items: list[_Item]) -> list[list[_Item]]:
    """Items grouped into text lines, top to bottom, each left to right.

    An item joins the line above when at least half of it, or of the line's typical word, lies
    within the line's typical height (the median top to the median bottom of its items): a dash
    or a dot joins, the next line's capitals with stacked marks do not.
    """
    lines: list[list[_Item]] = []
    core: tuple[float, float] = (0.0, 0.0)
    for item in sorted(items, key=lambda i: i.box.centre_y):
        if lines:
            overlap = min(core[1], item.box.bottom) - max(core[0], item.box.top)
            if overlap >= 0.5 * min(max(item.box.height, 1), core[1] - core[0]):
                lines[-1].append(item)
                core = (statistics.median(i.box.top for i in lines[-1]),
                        statistics.median(i.box.bottom for i in lines[-1]))
                continue
        lines.append([item])
        core = (item.box.top, item.box.bottom)
    return [sorted(line, key=lambda i: i.box.left) for line in lines]
