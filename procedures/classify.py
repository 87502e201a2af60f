"""Classifying a dossier by procedure, from the catalog alone or helped by a trained model.

A dossier is filed by what it asks for, not by any title on any page: supporting papers carry
headings close to other procedures' titles (a hospital's GIẤY CHỨNG SINH, a land certificate, a
certified copy). So the evidence is weighed in this order:
1. a catalog request title (tờ khai, đơn, giấy đề nghị...) on an application page, discounted when
   it is too unspecific to name a procedure by itself (a bare "ĐƠN ĐỀ NGHỊ", "Đơn khiếu nại");
2. failing that, a catalog form title that is an attestation (chứng thực ...), which is the
   "form" of the certification procedures but also appears on certified copies in other dossiers;
3. what the dossier states it asks for: the receipt slip's request line, the form's "Nội dung đề
   nghị" (ticked options only), a letter's "V/v ..." or "đề nghị được ...";
4. form identifiers, and papers the catalog says such a dossier holds, as weak evidence.
Procedures left tied (a shared form such as CT01) or near-namesakes of the leader are then
settled by `procedures.distinguish`, or left tied for a reviewer. Entries the catalog marks
`same_as` another count as that one. The raw confidence (score and lead) is mapped through the
shipped calibration. A dossier that matches nothing is out of catalog: no procedure, sent to
review, with the three procedures its headings most resemble as alternatives.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from procedures.calibration import ATTESTED, FILED, Calibration, load_calibration
from procedures.catalog import Catalog
from procedures.certification import attestations, headings
from procedures.distinguish import distinguish, equally_stated, is_clear, lead
from procedures.matching import (
    FORM,
    PAPER,
    REQUEST,
    CatalogIndex,
    TitleHit,
    find_titles,
    form_id_score,
    index_catalog,
    name_similarity,
)
from procedures.pages import APPLICATION, REQUEST_WORDS, PageView, page_type, read_page
from procedures.text import fold_key

if TYPE_CHECKING:
    from procedures.training import TrainedModel

TITLE_MATCH = 75.0  # similarity (0-100) from which a title counts as printed on the page
_WEIGHTS = {"form": 0.6, "slip": 0.3, "content": 0.3, "form_id": 0.05, "paper": 0.05}
_MODEL_WEIGHT = 0.5
_NO_PROCEDURE_BELOW = 0.2
_BODY_STATEMENT = 92.0
_NAMED = 0.6


@dataclass(frozen=True)
class Evidence:
    """Why a procedure was suggested: what matched (`kind`), the text as printed and its page."""

    kind: str
    procedure: str
    text: str
    page: int
    similarity: float

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "procedure": self.procedure, "text": self.text, "page": self.page,
                "similarity": round(self.similarity, 1)}


@dataclass(frozen=True)
class Classification:
    """The procedure a dossier is filed under, or None when nothing in the catalog fits.

    `confidence` is meant to be calibrated: of the dossiers classified with confidence ≥ c, at
    least a share c are right (for a None answer: are out of catalog). `page_types` has one
    entry per page: application_form, receipt_slip, supporting or unknown.
    """

    procedure: str | None
    confidence: float
    needs_review: bool
    top3: list[tuple[str, float]]
    evidence: list[Evidence] = field(default_factory=list)
    page_types: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "procedure": self.procedure,
            "confidence": round(self.confidence, 3),
            "needs_review": self.needs_review,
            "top3": [[pid, round(score, 3)] for pid, score in self.top3],
            "evidence": [e.to_dict() for e in self.evidence],
            "page_types": self.page_types,
        }


_INDEXES: dict[int, tuple[Catalog, int, CatalogIndex]] = {}


def _index(catalog: Catalog) -> CatalogIndex:
    """The catalog's index, reused while the same catalog object (unchanged in size) is passed.

    Two catalogs are kept, so a benchmark or a scoped and a full catalog can alternate.
    """
    cached = _INDEXES.get(id(catalog))
    if cached and cached[0] is catalog and cached[1] == len(catalog):
        return cached[2]
    index = index_catalog(catalog)
    if len(_INDEXES) >= 2:
        _INDEXES.clear()
    _INDEXES[id(catalog)] = (catalog, len(catalog), index)
    return index


def _strength(similarity: float, floor: float) -> float:
    """A similarity (0-100) as evidence strength 0-1: nothing at `floor`, full at 100."""
    return max(0.0, min(1.0, (similarity - floor) / (100.0 - floor)))


_LONGEST_FIRST = sorted(REQUEST_WORDS, key=len, reverse=True)


def _heading_subject(heading: str) -> str:
    """A request heading without its request words: "TỜ KHAI ĐĂNG KÝ KẾT HÔN" → "đăng ký kết hôn"."""
    key = fold_key(heading)
    for word in _LONGEST_FIRST:
        if key.startswith(word):
            key = key[len(word):].strip()
            break
    key = key.removeprefix("de nghi ").strip()
    return "" if key == "de nghi" else key


@dataclass
class _Scores:
    """Per-procedure evidence strengths (0-1) by kind, and the evidence behind each."""

    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)

    def add(self, kind: str, procedure: str, strength: float, evidence: Evidence | None) -> None:
        scores = self.by_kind.setdefault(kind, {})
        if strength > scores.get(procedure, 0.0):
            scores[procedure] = strength
            if evidence is not None:
                items = [e for e in self.evidence.get(procedure, []) if e.kind != evidence.kind]
                self.evidence[procedure] = [*items, evidence]

    def combined(self, procedure: str, active: list[str]) -> float:
        total = sum(_WEIGHTS[k] for k in active)
        return sum(_WEIGHTS[k] * self.by_kind.get(k, {}).get(procedure, 0.0) for k in active) / total


def _specificity(title_key: str) -> float:
    """How much a title alone says: "đơn khiếu nại" (one subject word pair) is any complaint.

    Counted in the words the title has beyond its request words, so it holds for any catalog.
    """
    words = len(_heading_subject(title_key).split())
    return 1.0 if words >= 3 else 0.5 if words == 2 else 0.3 if words == 1 else 0.15


def _title_scores(views: list[PageView], hits: list[list[TitleHit]], scores: _Scores) -> set[int]:
    """Score form titles; returns the numbers of the pages the dossier is classified by."""
    request = [h for page in hits for h in page if h.title.tier == REQUEST and h.similarity >= TITLE_MATCH]
    attest = [h for page in hits for h in page if h.title.tier == FORM and h.similarity >= TITLE_MATCH]
    # A private paper bearing a signature attestation is what is certified, not an application:
    # a request-like heading on an unaddressed page that carries an attestation does not count.
    attested = {h.page for h in attest} | {v.number for v in views if headings(v)}
    request = [h for h in request if h.page not in attested or views[h.page - 1].addressed]
    primary, kind = (request, "form_title") if request else (attest, "attestation")
    for hit in primary:
        pid = hit.title.procedure_id
        strength = _strength(hit.similarity, 70) * _specificity(hit.title.key)
        scores.add("form", pid, strength, Evidence(kind, pid, hit.line, hit.page, hit.similarity))
    for page in hits:
        for hit in page:
            if hit.title.tier == PAPER or (request and hit.title.tier == FORM):
                pid = hit.title.procedure_id
                scores.add("paper", pid, _strength(hit.similarity, 80),
                           Evidence("paper_title", pid, hit.line, hit.page, hit.similarity))
    # Pages are classified by their title only when it is specific: under a bare "ĐƠN ĐỀ NGHỊ" the
    # letter's own statement of what it asks is the form's evidence.
    return {hit.page for hit in primary if _specificity(hit.title.key) >= 1.0}


def _score(views: list[PageView], index: CatalogIndex) -> tuple[_Scores, list[str], set[int]]:
    scores = _Scores()
    hits = [find_titles(view, index) for view in views]
    form_pages = _title_scores(views, hits, scores)
    applied = any(e.kind == "form_title" for items in scores.evidence.values() for e in items) or any(
        v.request_heading and v.addressed for v in views)
    if not applied:
        # No application form: a certification, classified by what its attestation names.
        for found in attestations(views, index):
            scores.add("form", found.procedure, found.strength,
                       Evidence("attestation", found.procedure, found.text, found.page, found.similarity))
            if found.strength >= 0.5:
                form_pages.add(found.page)
    active = ["form"]
    if scores.by_kind.get("paper"):
        active.append("paper")
    for view in views:
        request_lines = [("slip", "receipt_slip", view.slip_line)]
        if not view.is_slip:
            request_lines.append(("content", "request_line", view.content_line))
            if view.request_heading and view.number not in form_pages:
                request_lines.append(("form", "form_heading", _heading_subject(view.request_heading)))
            # A letter that states what it asks ("V/v: đăng ký kết hôn") names its procedure.
            stated_kind = "content" if view.number in form_pages else "form"
            request_lines += [(stated_kind, "stated_request", line) for line in view.stated]
        for kind, label, line in request_lines:
            if not line:
                continue
            strengths = {}
            for pid in index.candidates(line):
                similarity = name_similarity(line, pid, index, complete=label == "form_heading")
                floor = 70 if kind == "form" else 60
                strength = _strength(similarity, floor) * (0.8 if kind == "form" else 1.0)
                if strength > 0:
                    strengths[pid] = strength
                    scores.add(kind, pid, strength, Evidence(label, pid, line, view.number, similarity))
            # A slip always names the request, so a slip naming nothing in the catalog counts
            # against every procedure; a form's content line often describes rather than names it,
            # so it only counts when it does name a procedure.
            if kind not in active and (kind == "slip" or max(strengths.values(), default=0) >= 0.5):
                active.append(kind)
        if view.request_heading and not view.is_slip:
            # An application's body may state the procedure in its own words ("Đăng ký thay đổi
            # nội dung đăng ký hộ kinh doanh như sau:"): a line opening like a catalog name and
            # naming it whole counts as the request stated.
            for line, key in zip(view.lines, view.keys, strict=True):
                said = key.split(":")[0].strip()
                if " ".join(said.split()[:2]) not in index.name_starts or len(said.split()) < 4:
                    continue
                for pid in index.candidates(said, limit=5):
                    similarity = name_similarity(said, pid, index)
                    if similarity >= _BODY_STATEMENT:
                        scores.add("content", pid, _strength(similarity, 60),
                                   Evidence("stated_request", pid, line, view.number, similarity))
                        if "content" not in active:
                            active.append("content")
        if view.form_ids:
            for pid in index.names:
                strength = form_id_score(view, pid, index)
                if strength > 0:
                    scores.add("form_id", pid, strength, Evidence("form_id", pid, ", ".join(view.form_ids),
                                                                   view.number, 100.0))
    if scores.by_kind.get("form_id"):
        active.append("form_id")
    return scores, active, form_pages


def _confidence(top: float, second: float) -> float:
    """Belief that the top procedure is right, from its score and its lead over the runner-up.

    Deliberately conservative: a strong match with a clear lead is trusted; a close call (two
    procedures with near-identical forms and no line to tell them apart) is not, whatever the
    score, so it goes to a reviewer.
    """
    lead = top - second
    return max(0.0, min(0.99, top * min(1.0, 0.35 + 2.5 * lead)))


def _mix_model(totals: dict[str, float], probabilities: dict[str, float], procedures: Container[str]) -> None:
    """Blend the trained model into the catalog scores, as far as the model trusts itself.

    The model's scores are taken relative to its favourite (which scores 1) and weighed by that
    favourite's probability: a model trained on a handful of corrections spreads its probability
    thin and only nudges the ranking; one trained on many examples is sure, and is heard. A model
    alone cannot file an out-of-catalog dossier: its weight stays below the no-procedure floor.
    """
    known = {pid: p for pid, p in probabilities.items() if pid in procedures}
    best = max(known.values(), default=0.0)
    if best <= 0:
        return
    for pid in sorted(known, key=lambda pid: -known[pid])[:10]:
        totals.setdefault(pid, 0.0)
    weight = _MODEL_WEIGHT * best
    for pid in totals:
        totals[pid] = (1 - weight) * totals[pid] + weight * known.get(pid, 0.0) / best


@lru_cache(maxsize=1)
def _shipped_calibration() -> Calibration:
    return load_calibration()


_GENERIC_ONLY = 0.4


def _only_generic(evidence: list[Evidence]) -> bool:
    """Whether a procedure's only evidence is form titles too unspecific to name it."""
    titles = [e for e in evidence if e.kind in ("form_title", "attestation")]
    return bool(titles) and len(titles) == len(evidence) and all(
        _specificity(fold_key(e.text)) < 1.0 for e in titles)


def filing_kind(evidence: list[Evidence]) -> str:
    """Which calibration a filing takes: on an attestation alone, or on an application's evidence."""
    kinds = {e.kind for e in evidence}
    return ATTESTED if "attestation" in kinds and "form_title" not in kinds else FILED


_TIE = 0.12
_LEVEL = 1e-6
_NAMESAKE = 88.0
_GROUP = 12


def _settle_ties(views: list[PageView], read: set[int], totals: dict[str, float], index: CatalogIndex,
                 evidence: dict[str, list[Evidence]], named: list[str]) -> list[str]:
    """Break a tie between the leaders (a shared form, near-namesakes) by the name the dossier states.

    The group is the procedures scoring close to the leader, and the leader's near-namesakes
    among the catalog names. When one of them is stated clearly better, it takes the group's best
    score plus a share of its lead; otherwise the scores stay tied and the group is returned, to
    be the top-3 a reviewer chooses from.
    """
    if not totals:
        return []
    leader, top = max(totals.items(), key=lambda item: item[1])
    if top < _NO_PROCEDURE_BELOW:
        return []
    group = sorted((pid for pid, score in totals.items() if score >= top - _TIE), key=lambda p: -totals[p])
    names = [" ".join(words) for words in index.names.get(leader, [])[:1]]
    if names:
        for pid in index.candidates(names[0], limit=_GROUP):
            if pid not in group and any(fuzz.token_set_ratio(names[0], " ".join(w)) >= _NAMESAKE
                                        for w in index.names.get(pid, [])):
                group.append(pid)
    # Procedures the dossier names outright (its slip, its content line) are candidates too,
    # whatever their form scored: the form may be another template than the catalog knows.
    group = group[:_GROUP] + [pid for pid in named if pid not in group]
    for pid in group:
        totals.setdefault(pid, 0.0)
    if len(group) < 2:
        return group
    ranked = distinguish(views, read, group, index)
    points = lead(ranked)
    best = max(totals[pid] for pid in group)
    if not ranked or not is_clear(points):
        # Several named alike (the boxes of a CT01 lost in OCR): none of them may lead.
        for pid in equally_stated(ranked):
            totals[pid] = best
        return [pid for pid in group if totals[pid] >= top - _TIE]
    stated = ranked[0]
    share = min(1.0, points / 30)
    for pid in group:
        totals[pid] *= 1 - 0.5 * share
    totals[stated.procedure] = min(1.0, best + 0.3 * share)
    evidence.setdefault(stated.procedure, []).append(
        Evidence("stated_name", stated.procedure, stated.text, stated.page, stated.similarity))
    return [stated.procedure]


def _top3(ranked: list[tuple[str, float]], tied: list[str], views: list[PageView],
          index: CatalogIndex) -> list[tuple[str, float]]:
    """Three alternatives for a reviewer (fewer only when the catalog has fewer procedures).

    The tied group first when there is one, then the ranking; a dossier that matched nothing still
    gets the procedures whose names its headings resemble most, scored 0.
    """
    scores = dict(ranked)
    chosen = [pid for pid, _ in ranked[:3] if scores[pid] > 0]
    if len(tied) > 1:
        chosen = [*tied[:3], *(pid for pid in chosen if pid not in tied)]
    if len(chosen) < 3:
        headings = " ".join(v.request_heading or (v.lines[0] if v.lines else "") for v in views)
        chosen += [pid for pid in index.candidates(headings, limit=6) if pid not in chosen]
        chosen += [pid for pid, _ in ranked if pid not in chosen][: max(0, 3 - len(chosen))]
        chosen += [pid for pid in islice(index.names, 6) if pid not in chosen]
    return [(pid, scores.get(pid, 0.0)) for pid in chosen[:3]]


def classify(
    pages: Sequence[str],
    catalog: Catalog,
    model: TrainedModel | None = None,
    threshold: float = 0.6,
    calibration: Calibration | None = None,
) -> Classification:
    """File a dossier (its pages' text, in order) under a catalog procedure, or send it to review.

    `calibration` maps the raw confidence to a calibrated one; by default the shipped map
    (`IDENTITY` gives the raw value, which fitting a new map needs).
    """
    index = _index(catalog)
    views = [read_page(number, text) for number, text in enumerate(pages, start=1)]
    scores, active, form_pages = _score(views, index)
    # Only procedures with some evidence can score; the rest of a large catalog stays at 0.
    scored = {pid for kind in scores.by_kind.values() for pid in kind}
    totals = {pid: scores.combined(pid, active) for pid in index.names if pid in scored}
    evidence = dict(scores.evidence)
    if model is not None:
        _mix_model(totals, model.probabilities(pages), index.names)
    read = form_pages | {v.number for v in views if v.is_slip or v.request_heading or v.content_line}
    named = sorted({pid for kind in ("slip", "content") for pid, strength in scores.by_kind.get(kind, {}).items()
                    if strength >= _NAMED and pid in totals}, key=lambda pid: -totals[pid])[:3]
    tied = _settle_ties(views, read, totals, index, evidence, named)
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    top3 = _top3(ranked, tied, views, index)
    top = ranked[0][1] if ranked else 0.0
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    if top < _NO_PROCEDURE_BELOW:
        # The less any procedure scored, the surer "nothing fits" is; an unreadable form also
        # scores nothing, so even an empty score stays well short of certainty.
        procedure, confidence = None, 0.55 + 0.25 * (1 - top / _NO_PROCEDURE_BELOW)
    else:
        procedure, confidence = ranked[0][0], _confidence(top, second)
        if _only_generic(evidence.get(procedure, [])):
            # A title that fits many procedures ("Đơn khiếu nại"), with nothing else naming this
            # one, is as likely a procedure outside the catalog: a reviewer decides.
            confidence *= _GENERIC_ONLY
    confidence = (calibration or _shipped_calibration()).apply(
        confidence, procedure is not None, filing_kind(evidence.get(procedure, []) if procedure else []))
    level = [pid for pid, score in ranked if score >= top - _LEVEL]
    if procedure and len(level) > 1:
        # Procedures the dossier cannot tell apart: whichever is named first is right one time in
        # as many as are tied, however strong the form that they share.
        confidence = min(confidence, 1 / len(level))
    if procedure and index.duplicates.get(procedure):
        # Entries the catalog lists twice are one procedure: say so, so a reviewer sees why.
        others = ", ".join(index.duplicates[procedure])
        evidence.setdefault(procedure, []).append(
            Evidence("same_procedure", procedure, f"same procedure as {others}", 0, 100.0))
    kinds: list[str] = []
    for view in views:
        after = bool(kinds) and kinds[-1] == APPLICATION
        kinds.append(page_type(view, view.number in form_pages, bool(form_pages), after))
    return Classification(
        procedure=procedure,
        confidence=round(confidence, 4),
        needs_review=procedure is None or confidence < threshold,
        top3=top3,
        evidence=sorted(evidence.get(procedure, []), key=lambda e: (e.page, e.kind)) if procedure else [],
        page_types=kinds,
    )

