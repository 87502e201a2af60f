"""Turning the classifier's raw scores into confidences that mean what they say.

The raw confidence (score times lead) orders dossiers well but is not a probability: most filings
at raw 0.5 are right. A reviewer threshold and the register need "of the dossiers filed with
confidence ≥ c, at least a share c are right", so the raw value goes through a monotone map fitted
on labelled dossiers: pooled-adjacent-violators (isotonic) over raw-score bins, each block's share
right replaced by its Wilson lower bound, so thin evidence errs on the side of review. Filings and
"out of catalog" answers get one map each, since they are different claims.

The shipped map (`data/calibration.yaml`) is fitted by `python -m bench.classify --fit-calibration`
on generated dossiers whose seeds neither the tests nor the benchmark's measured runs use.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from itertools import pairwise

import yaml

SHIPPED_CALIBRATION = "calibration.yaml"
_BINS = 20
_Z = 1.64  # one-sided 95%


def _interpolate(points: list[tuple[float, float]], raw: float) -> float:
    if not points:
        return raw
    if raw <= points[0][0]:
        return points[0][1] * raw / points[0][0] if points[0][0] > 0 else points[0][1]
    for (x0, y0), (x1, y1) in pairwise(points):
        if raw <= x1:
            return y0 + (y1 - y0) * (raw - x0) / (x1 - x0) if x1 > x0 else y1
    return points[-1][1]


def wilson_lower(right: int, total: int) -> float:
    """The lower bound of the share right, one-sided 95%: 10 of 10 right is "at least 0.79"."""
    if total == 0:
        return 0.0
    p = right / total
    centre = p + _Z * _Z / (2 * total)
    margin = _Z * math.sqrt(p * (1 - p) / total + _Z * _Z / (4 * total * total))
    return max(0.0, (centre - margin) / (1 + _Z * _Z / total))


FILED = "filed"
ATTESTED = "attested"


@dataclass(frozen=True)
class Calibration:
    """Monotone maps raw → calibrated, as (raw, calibrated) points, for filings and for null answers.

    Filings made on an attestation alone (certifications, no application form) have their own
    map: their raw scores run lower than a form's for the same reliability, and pooling both
    would lend a weak form match the certifications' record.
    """

    filed: list[tuple[float, float]] = field(default_factory=list)
    null: list[tuple[float, float]] = field(default_factory=list)
    attested: list[tuple[float, float]] = field(default_factory=list)

    def apply(self, raw: float, procedure_found: bool, kind: str = FILED) -> float:
        """The calibrated confidence of a raw one (unchanged when the map is empty)."""
        points = self.null if not procedure_found else self.attested if kind == ATTESTED and self.attested \
            else self.filed
        return round(min(0.999, max(0.0, _interpolate(points, raw))), 4)

    def to_yaml(self) -> str:
        data = {"version": 2, "filed": [list(p) for p in self.filed], "null": [list(p) for p in self.null],
                "attested": [list(p) for p in self.attested]}
        return yaml.safe_dump(data, sort_keys=False, default_flow_style=None)


IDENTITY = Calibration()


def _fit_one(pairs: list[tuple[float, bool]]) -> list[tuple[float, float]]:
    bins: list[list[float]] = []  # [raw sum, right, total] per non-empty bin, in raw order
    for b in range(_BINS):
        chosen = [(r, ok) for r, ok in pairs if b / _BINS <= r < (b + 1) / _BINS or (b == _BINS - 1 and r >= 1)]
        if chosen:
            bins.append([sum(r for r, _ in chosen), float(sum(ok for _, ok in chosen)), float(len(chosen))])
    blocks: list[list[float]] = []
    for current in bins:  # pool adjacent violators of a non-decreasing share right
        blocks.append(list(current))
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] > blocks[-1][1] / blocks[-1][2]:
            last = blocks.pop()
            blocks[-1] = [a + b for a, b in zip(blocks[-1], last, strict=True)]
    points: list[tuple[float, float]] = []
    for raw_sum, right, total in blocks:
        value = wilson_lower(int(right), int(total))
        if points:
            value = max(value, points[-1][1])
        points.append((round(raw_sum / total, 4), round(value, 4)))
    return points


def fit(samples: Iterable[tuple[float, bool, bool] | tuple[float, bool, bool, str]]) -> Calibration:
    """Fit from (raw confidence, procedure found, answer right[, kind of filing]) tuples."""
    groups: dict[str, list[tuple[float, bool]]] = {FILED: [], ATTESTED: [], "null": []}
    for sample in samples:
        raw, found, right = sample[0], sample[1], sample[2]
        kind = sample[3] if len(sample) > 3 else FILED
        groups[kind if found else "null"].append((raw, right))
    return Calibration(filed=_fit_one(groups[FILED]), null=_fit_one(groups["null"]),
                       attested=_fit_one(groups[ATTESTED]))


def load_calibration(text: str | None = None) -> Calibration:
    """The shipped calibration, or the one in `text` (YAML as `Calibration.to_yaml` writes it)."""
    if text is None:
        text = resources.files("procedures.data").joinpath(SHIPPED_CALIBRATION).read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    return Calibration(filed=[(float(a), float(b)) for a, b in data.get("filed", [])],
                       null=[(float(a), float(b)) for a, b in data.get("null", [])],
                       attested=[(float(a), float(b)) for a, b in data.get("attested", [])])
