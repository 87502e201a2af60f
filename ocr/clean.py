"""Erasing what is printed on forms but is not text: dotted leaders, ruling lines, table borders.

On Vietnamese forms the values people search for (names, ID numbers, addresses) are written on
dotted leader lines ("1. Họ và tên: LÊ THỊ KIM PHƯỢNG ........") and in ruled tables. Tesseract
reads the dots and borders as characters and garbles the words beside them (issue 4: ~20% CER on
clean forms). Leaders are found as chains of four or more dot-sized blobs at the same height and a
regular small pitch: a full stop, the dot of an i or a dot below never chain like that. Rules are
runs of ink far longer than any letter stroke. Only those pixels are erased; letters keep theirs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from ocr.layout import Box

MIN_CHAIN = 4  # dots in a row that make a leader (the same as the scorer's and people's reading)


@dataclass(frozen=True)
class InkStats:
    """What the ink of a page looks like: its connected blobs and the typical letter height."""

    labels: np.ndarray
    stats: np.ndarray  # cv2 stats rows: left, top, width, height, area (row 0 is the background)
    letter_height: float  # median height of letter-sized blobs, in pixels; 0 when there are none


def label_blobs(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels and stats of the ink's 8-connected blobs.

    Labelled as 16-bit, OpenCV 5 finds a page's blobs and their stats in 9 ms instead of 25 ms
    (the 32-bit path is that much slower on one thread); only a page of more than 65,535 specks
    needs 32 bits, and OpenCV says so by raising.
    """
    try:
        _count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(ink, 8, cv2.CV_16U,
                                                                                  cv2.CCL_DEFAULT)
    except cv2.error:
        _count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    return labels, stats


def ink_stats(ink: np.ndarray, dpi: float) -> InkStats:
    labels, stats = label_blobs(ink)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    letters = heights[(heights >= dpi / 30) & (heights <= dpi / 4) & (widths <= dpi / 3)]  # not dots or marks
    return InkStats(labels, stats, float(np.median(letters)) if len(letters) else 0.0)


def letters_only(ink: InkStats, dpi: float) -> np.ndarray:
    """Ink of blobs no bigger than a letter (marks included, specks, rules, photos and seals not)."""
    s = ink.stats
    keep = ((s[:, cv2.CC_STAT_HEIGHT] <= dpi / 5) & (s[:, cv2.CC_STAT_WIDTH] <= dpi / 4)
            & (s[:, cv2.CC_STAT_AREA] >= max(3, (dpi / 150) ** 2)))
    keep[0] = False
    return np.where(keep[ink.labels], np.uint8(255), np.uint8(0))


def letter_centres(ink: InkStats, dpi: float) -> np.ndarray:
    """Centres (x, y) of blobs shaped like whole letters: not marks, dots, rules or pictures."""
    s = ink.stats[1:]
    h, w = s[:, cv2.CC_STAT_HEIGHT], s[:, cv2.CC_STAT_WIDTH]
    keep = (h >= dpi / 40) & (h <= dpi / 5) & (w >= dpi / 100) & (w <= dpi / 5)
    return np.column_stack((s[keep, cv2.CC_STAT_LEFT] + w[keep] / 2, s[keep, cv2.CC_STAT_TOP] + h[keep] / 2))


def leader_dots(ink: InkStats) -> np.ndarray:
    """Labels of the blobs that belong to dotted leaders (chains of `MIN_CHAIN`+ dots in a row)."""
    if ink.letter_height <= 0:
        return np.zeros(0, dtype=np.int64)
    s = ink.stats
    w, h, area = s[:, cv2.CC_STAT_WIDTH], s[:, cv2.CC_STAT_HEIGHT], s[:, cv2.CC_STAT_AREA]
    limit = max(2.0, 0.45 * ink.letter_height)
    dots = np.flatnonzero((w <= limit) & (h <= limit) & (area >= 2) & (w <= 2.5 * h) & (h <= 2.5 * w))
    dots = dots[dots > 0]
    if len(dots) < MIN_CHAIN:
        return np.zeros(0, dtype=np.int64)
    cx = s[dots, cv2.CC_STAT_LEFT] + w[dots] / 2
    cy = s[dots, cv2.CC_STAT_TOP] + h[dots] / 2
    tolerance = max(2.0, 0.2 * ink.letter_height)
    max_pitch = 1.2 * ink.letter_height
    order = np.lexsort((cx, np.round(cy / tolerance)))
    parent = list(range(len(dots)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_band: dict[int, list[int]] = {}
    for i in order:
        by_band.setdefault(int(cy[i] // tolerance), []).append(int(i))
    for band, members in by_band.items():
        neighbours = sorted(members + by_band.get(band + 1, []), key=lambda i: cx[i])
        for a, b in itertools.pairwise(neighbours):
            if 0 < cx[b] - cx[a] <= max_pitch and abs(cy[b] - cy[a]) <= tolerance:
                parent[find(a)] = find(b)
    roots = np.array([find(i) for i in range(len(dots))])
    _, inverse, sizes = np.unique(roots, return_inverse=True, return_counts=True)
    return dots[sizes[inverse] >= MIN_CHAIN]


def ruling_lines(ink: np.ndarray, letter_height: float, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    """Masks of horizontal and of vertical rules: straight ink runs longer than three letter heights."""
    length = int(max(3 * letter_height, dpi / 6))
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    return horizontal, vertical


def marks(ink: np.ndarray, letter_height: float) -> np.ndarray:
    """Mask of signatures and seals: blobs taller than three letters, or taller than two and wider
    than four, whose strokes cover little of their box.

    Tesseract reads a signature as a word of junk ("j4", ".jwM") and, worse, may take the lines
    around a seal for a picture and drop them unread. Letters, even a title's capitals with
    stacked marks, are never that tall and sparse, and printed letters do not join into one blob
    four letters wide: a quick zigzag signature under three letters tall does.
    """
    if letter_height <= 0:
        return np.zeros_like(ink)
    labels, stats = label_blobs(ink)
    w, h, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    big = ((h > 3 * letter_height) | ((h > 2 * letter_height) & (w > 4 * letter_height))) & (area < 0.3 * w * h)
    big[0] = False
    return np.where(big[labels], np.uint8(255), np.uint8(0))


def signatures_and_seals(ink: np.ndarray, flat: np.ndarray, blobs: InkStats) -> tuple[np.ndarray, np.ndarray]:
    """What to erase of signatures and seals, and the letters under a seal that must stay.

    A seal is stamped over the signer's title and name, so erasing its blob whole takes those
    words with it, and they are what an archivist searches for. But a seal's ink is lighter than
    printed text: around a mark whose ink falls into dark strokes and light ink away from them,
    only the dark letters stay, with the grey edge of their strokes; the ring, its ticks and star
    and the signature-shaped dark blobs go.
    """
    letter_height = blobs.letter_height
    found = _marks_within(ink, blobs)
    erase = np.zeros_like(ink)
    keep = np.zeros_like(ink)
    near = int(letter_height) | 1  # a seal's ring breaks into pieces where its ink is faint: take them together
    for box in _boxes(cv2.dilate(found, np.ones((near, near), np.uint8))):
        window = np.s_[box.top:box.bottom, box.left:box.right]
        level = _seal_level(ink[window], flat[window])
        if level is None:
            erase[window] |= found[window]
            continue
        window = np.s_[max(0, box.top - near):box.bottom + near, max(0, box.left - near):box.right + near]
        dark = np.where((ink[window] > 0) & (flat[window] < level), np.uint8(255), np.uint8(0))
        signature = marks(cv2.dilate(dark, np.ones((5, 5), np.uint8)), letter_height) & dark
        letters = cv2.dilate(dark & ~signature, np.ones((3, 3), np.uint8))  # type: ignore[arg-type]  # with the grey edge of their strokes
        erase[window] = np.where(letters > 0, np.uint8(0), np.uint8(255))
        keep[window] |= letters
    return erase, keep


def _marks_within(ink: np.ndarray, blobs: InkStats) -> np.ndarray:
    """`marks` of `ink`, the page's ink that `blobs` labels less what cleaning took, looked for only
    inside the blobs tall enough to hold one (two letter heights): labelling a few boxes costs a
    fraction of labelling the page again.

    Cleaning takes a signature's long straight strokes for rules and cuts it into pieces; a piece
    cut off may be too small to be a mark, and Tesseract reads it as a letter that breaks the
    signature block's columns. So a blob that is mostly a mark goes whole.
    """
    found = np.zeros_like(ink)
    if blobs.letter_height <= 0:
        return found
    s = blobs.stats
    for label in np.flatnonzero(s[:, cv2.CC_STAT_HEIGHT] > 2 * blobs.letter_height)[1:]:
        x, y, w, h = s[label, :4]
        window = np.s_[y:y + h, x:x + w]
        blob = np.where(blobs.labels[window] == label, np.uint8(255), np.uint8(0))
        drawn = marks(blob & ink[window], blobs.letter_height)
        if np.count_nonzero(drawn) >= 0.5 * s[label, cv2.CC_STAT_AREA]:
            drawn = blob
        found[window] |= drawn
    return found


SEAL_SHARE = 0.12  # part of a mark's ink that must be light and away from dark strokes for it to be a seal


def _seal_level(ink: np.ndarray, flat: np.ndarray) -> float | None:
    """The grey level between text and a seal's lighter ink, when a mark's box holds a seal, else None.

    Light and dark are split by Otsu's level within the box. The grey edges of dark strokes are
    light too, so only light ink away from any dark stroke counts: a signature has next to none.
    """
    values = flat[ink > 0]
    if len(values) < 100:
        return None
    level, _ = cv2.threshold(values.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = np.where((ink > 0) & (flat < level), np.uint8(255), np.uint8(0))
    apart = (ink > 0) & (cv2.dilate(dark, np.ones((5, 5), np.uint8)) == 0)
    return float(level) if apart.sum() >= SEAL_SHARE * len(values) else None


@dataclass(frozen=True)
class NonText:
    """What is printed or drawn on the page but is not text.

    `mask` is what to erase before OCR; the leader and rule boxes tell the reading order
    (layout.py) which words a leader joins and where the table rows are.
    """

    mask: np.ndarray
    leaders: tuple[Box, ...]
    horizontal_rules: tuple[Box, ...]
    vertical_rules: tuple[Box, ...]


def find_non_text(ink: np.ndarray, flat: np.ndarray, stats: InkStats, dpi: float, *, leaders: bool = True,
                  rules: bool = True, signatures: bool = True) -> NonText:
    """Leader dots, rules, signatures and seals; the mask is grown by two pixels to take their grey halo,
    but never over the letters found under a seal."""
    erase = np.zeros_like(ink)
    chains: tuple[Box, ...] = ()
    if leaders:
        dots = leader_dots(stats)
        if len(dots):
            drop = np.zeros(len(stats.stats), dtype=bool)
            drop[dots] = True
            erase[drop[stats.labels]] = 255
            joined = cv2.dilate(erase, cv2.getStructuringElement(cv2.MORPH_RECT, (int(1.2 * stats.letter_height), 1)))
            chains = _boxes(joined)
    horizontal = vertical = np.zeros_like(ink)
    if rules:
        horizontal, vertical = ruling_lines(ink, stats.letter_height, dpi)
        erase |= horizontal | vertical
    erase = cv2.dilate(erase, np.ones((5, 5), np.uint8))
    if signatures:
        drawn, letters = signatures_and_seals(ink & ~erase, flat, stats)  # type: ignore[misc]
        erase |= cv2.dilate(drawn, np.ones((5, 5), np.uint8)) & ~letters  # type: ignore[misc]
    return NonText(erase, chains, _boxes(horizontal), _boxes(vertical))


def _boxes(mask: np.ndarray) -> tuple[Box, ...]:
    """Bounding boxes of the mask's blobs (outer contours: a few milliseconds on a sparse page mask)."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return tuple(Box(x, y, x + w, y + h) for x, y, w, h in map(cv2.boundingRect, contours))
