"""Finding which way up a page is and how crooked, cheaply, before a full OCR pass.

Sideways pages: text lines make the horizontal ink projection sharp and the vertical one flat;
turned by 90 degrees the two swap. Upside-down pages: Latin script, and Vietnamese even more with
its tone and vowel marks, has far more ink above the x-height band of a line (ascenders, capitals,
marks) than below the baseline (g, p, q, y and the dot below). Measured over every line of the
page, that asymmetry says which side is up. When the evidence is weak (little text, a page of
tables), Tesseract's own orientation detection (OSD) decides.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import cKDTree

from ocr.binarize import ink_mask
from ocr.clean import ink_stats, letter_centres, letters_only
from ocr.deskew import estimate_skew, rotate
from ocr.tesseract import detect_orientation

# Net share of lines voting "this side up" (ink above the x-height band beats ink below) past which
# the vote is trusted without asking OSD.
CONFIDENT_VOTE = 0.25
MIN_LINES = 4
UPRIGHT_SHARE = 0.58  # letters with a horizontal nearest neighbour, past which lines run across
STRIPS = 3  # columns voted apart: side-by-side cards and two-column headers have their own lines
DOWNSCALE = 2  # both tests work on the page at half resolution: letters are still 10+ pixels tall


def turn(image: np.ndarray, degrees: int) -> np.ndarray:
    """The image turned clockwise by a multiple of 90 degrees."""
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return image if degrees % 360 == 0 else cv2.rotate(image, codes[degrees % 360])


def orientation_and_skew(flat: np.ndarray, dpi: float, use_osd: bool = True) -> tuple[int, float]:
    """Degrees (0/90/180/270) to turn the flattened page clockwise so its text is upright, then the
    skew (degrees counter-clockwise) that levels its lines.

    Both tests look at letter-sized blobs only: photos, seals, guilloche and rules would otherwise
    blur the line structure they rely on.
    """
    small = cv2.resize(flat, (flat.shape[1] // DOWNSCALE, flat.shape[0] // DOWNSCALE), interpolation=cv2.INTER_AREA)
    stats = ink_stats(ink_mask(small), dpi / DOWNSCALE)
    letters = letters_only(stats, dpi / DOWNSCALE)
    horizontal = horizontal_neighbour_share(letter_centres(stats, dpi / DOWNSCALE))
    if horizontal < 1 - UPRIGHT_SHARE or (horizontal < 0.5 and not use_osd):
        candidates, lines_of = (90, 270), turn(letters, 90)
    elif horizontal > UPRIGHT_SHARE or not use_osd:
        candidates, lines_of = (0, 180), letters
    else:
        return _osd(flat, dpi), 0.0
    skew, _ = estimate_skew(lines_of)
    vote, lines = upright_vote(rotate(lines_of, skew, border=0))
    if (lines >= MIN_LINES and abs(vote) >= CONFIDENT_VOTE) or not use_osd:
        return (candidates[0] if vote >= 0 else candidates[1]), skew
    rotation = _osd(flat, dpi)
    return rotation, skew if rotation in candidates else 0.0  # a half turn keeps the slope of lines


def _osd(grey: np.ndarray, dpi: float) -> int:
    found = detect_orientation(grey, dpi)
    return found[0] if found else 0


def horizontal_neighbour_share(centres: np.ndarray) -> float:
    """Share of letters whose nearest neighbour lies to the side rather than above or below.

    Letters of a word sit side by side, much closer than the next line: on an upright or
    upside-down page most nearest neighbours are horizontal, on a sideways one vertical.
    """
    if len(centres) < 10:
        return 0.5
    _, index = cKDTree(centres).query(centres, k=2)
    delta = np.abs(centres[index[:, 1]] - centres)
    return float((delta[:, 0] > delta[:, 1]).mean())


def upright_vote(ink: np.ndarray) -> tuple[float, int]:
    """`line_vote` over vertical strips of the page, summed."""
    width = ink.shape[1]
    votes, lines = 0.0, 0
    for strip in range(STRIPS):
        v, n = line_vote(ink[:, strip * width // STRIPS:(strip + 1) * width // STRIPS])
        votes += v * n
        lines += n
    return votes / max(lines, 1), lines


def line_vote(ink: np.ndarray) -> tuple[float, int]:
    """Net share of text lines whose ink above the x-height band beats their ink below it (-1..1),
    and how many lines voted.

    Each text line is a run of rows with ink; its x-height band is the rows holding at least half of
    the line's peak row density (lower-case letters all fill it). A vote per line, rather than one
    sum over the page, keeps one seal or signature from outweighing every line of text.
    """
    rows = (ink > 0).sum(axis=1).astype(np.float64)
    if rows.max(initial=0) == 0:
        return 0.0, 0
    present = (rows > max(1.0, 0.01 * rows.max())).astype(np.int8)
    votes = lines = 0
    edges = np.flatnonzero(np.diff(np.concatenate(([0], present, [0]))))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start < 4:
            continue
        profile = rows[start:end]
        core = np.flatnonzero(profile >= 0.5 * profile.max())
        top, bottom = core[0], core[-1]
        above, below = profile[:top].sum(), profile[bottom + 1:].sum()
        if bottom - top < 2 or above == below:
            continue
        votes += 1 if above > below else -1
        lines += 1
    return votes / max(lines, 1), lines
