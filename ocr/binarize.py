"""Separating ink from paper on scans with uneven light, grey paper and show-through.

A global threshold fails on scans whose light falls off toward an edge, and Otsu's threshold on a
nearly blank page splits paper from faint show-through and calls it text. So the background is
estimated first (a large closing removes the ink, leaving the paper), every pixel is divided by
it (paper becomes white everywhere), and the threshold is then kept within the range where ink,
not grey paper, lives.
"""

from __future__ import annotations

import cv2
import numpy as np

# Darker than this share of the local paper is ink for sure; lighter than the upper bound never is.
INK_LEVELS = (96, 176)


def flatten_background(grey: np.ndarray, dpi: float) -> np.ndarray:
    """The page divided by its paper: white paper everywhere, ink keeps its contrast."""
    scale = 4
    small = cv2.resize(grey, (max(1, grey.shape[1] // scale), max(1, grey.shape[0] // scale)),
                       interpolation=cv2.INTER_AREA)
    size = max(3, int(dpi / 25 / scale) | 1)  # wider than any stroke (1 mm) so ink is closed away
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    paper = cv2.blur(paper, (size, size))
    paper = cv2.resize(paper, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(grey, np.maximum(paper, 1), scale=255)


def ink_mask(flat: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0, by Otsu's threshold held inside `INK_LEVELS`."""
    otsu, _ = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    level = min(max(otsu, INK_LEVELS[0]), INK_LEVELS[1])
    return np.where(flat < level, np.uint8(255), np.uint8(0))
