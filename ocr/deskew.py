"""Measuring and undoing the small skew of pages fed slightly crooked into a scanner.

The angle is the one that makes the horizontal projection of the ink sharpest: text lines
become thin dense rows separated by empty gaps. Only a sample of ink pixels is projected, at a
coarse then a fine step, so measuring costs a few milliseconds a page.
"""

from __future__ import annotations

import cv2
import numpy as np

MAX_SKEW = 5.0  # degrees: beyond this a page was fed sideways, not crooked
MAX_POINTS = 60_000


def estimate_skew(ink: np.ndarray) -> tuple[float, float]:
    """Degrees to turn the page counter-clockwise to level its lines, and how sharp they then are.

    Sharpness is per ink pixel, so it compares a page with itself turned by 90 degrees.
    (0.0, 0.0) when there is too little ink to tell.
    """
    ys, xs = np.nonzero(ink)
    if len(xs) < 200:
        return 0.0, 0.0
    if len(xs) > MAX_POINTS:
        pick = np.random.default_rng(0).choice(len(xs), MAX_POINTS, replace=False)
        xs, ys = xs[pick], ys[pick]
    xs = xs.astype(np.float64) - ink.shape[1] / 2
    ys = ys.astype(np.float64)
    best = 0.0
    for step, span in ((0.5, MAX_SKEW), (0.1, 0.5), (0.02, 0.1)):
        angles = np.arange(best - span, best + span + step / 2, step)
        best = float(max(angles, key=lambda a: _sharpness(xs, ys, a)))
    return round(-best, 2), _sharpness(xs, ys, best) / len(xs)


def _sharpness(xs: np.ndarray, ys: np.ndarray, angle: float) -> float:
    projected = ys + xs * np.tan(np.radians(angle))
    counts = np.bincount(np.clip(projected, 0, None).astype(np.int64))
    return float(np.dot(counts, counts))


def rotate(image: np.ndarray, angle: float, border: int = 255) -> np.ndarray:
    """The image turned by `angle` degrees counter-clockwise about its centre, same size."""
    if abs(angle) < 0.05:
        return image
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=border)
