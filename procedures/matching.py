"""Matching page text against the catalog: form titles, form identifiers and procedure names.

Everything here is derived from catalog fields, so a province's own export works without examples:
- titles: a procedure's first title is its form's heading; titles that open a request (tờ khai,
  đơn, giấy đề nghị...) are the strongest evidence, other first titles (an attestation such as
  "LỜI CHỨNG CHỨNG THỰC CHỮ KÝ") come next, and further titles are papers the dossier usually holds
  (GIẤY CHỨNG SINH), weak evidence since they also turn up in other procedures' dossiers.
  Dossier components that are requests ("Tờ khai đăng ký ... theo mẫu") add titles, for exports
  that list no titles.
- names: the receipt slip and the form's "nội dung đề nghị" line name the procedure, often
  abbreviated by clerks ("ĐK khai sinh", "Cấp Phiếu LLTP"): upper-case abbreviations are expanded
  against the initials of runs of words of each procedure's own name.
Similarities are rapidfuzz ratios over folded text (0-100), tolerant to OCR errors and missing marks.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from procedures.catalog import Catalog
from procedures.pages import PageView, is_request_title
from procedures.text import fold_key, initials

REQUEST = "request"
FORM = "form"
PAPER = "paper"

_TITLE_CUTOFF = 70.0
_CANDIDATES = 25
_POOL = 150
_COMMON_WORD = 800
_PREFIX_CHARS = 10
_COMPONENT_CUT = re.compile(r"\s*(?:\(|;|:| theo mau| theo quy dinh| ban chinh| ban sao| do .* cap).*$")
_FORM_PREFIX = re.compile(r"^(?:mau(?: so)?|phu luc [ivx\d.-]+ )\s*[:.]?\s*")
_PARENTHESES = re.compile(r"\s*\([^)]*\)")


@dataclass(frozen=True)
class Title:
    """A heading to look for: its folded key, as printed, which procedure and how strong it is."""

    procedure_id: str
    key: str
    shown: str
    tier: str


@dataclass(frozen=True)
class TitleHit:
    """A title found on a page: similarity 0-100 and the matched line as printed."""

    title: Title
    similarity: float
    page: int
    line: str


@dataclass
class CatalogIndex:
    """Folded catalog fields, computed once per catalog and reused for every dossier.

    Entries marked `same_as` another are folded into it: their titles and names count for the
    entry they duplicate (`canonical`), which alone is ranked, and `duplicates` says which.
    `name_keys`/`name_owners` list every name variant for a fast first pass over a large catalog;
    `abbreviations` maps initials to the run of words they most often abbreviate in the catalog's
    names ("dk" → "dang ky"), to expand a line once before that first pass.
    """

    titles: list[Title]
    names: dict[str, list[list[str]]]
    forms: dict[str, list[tuple[str, float]]]
    canonical: dict[str, str] = field(default_factory=dict)
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    name_keys: list[str] = field(default_factory=list)
    name_owners: list[str] = field(default_factory=list)
    abbreviations: dict[str, str] = field(default_factory=dict)
    word_positions: dict[str, list[int]] = field(default_factory=dict)
    title_keys: list[str] = field(default_factory=list)
    formless: set[str] = field(default_factory=set)
    name_starts: set[str] = field(default_factory=set)

    def candidates(self, line: str, limit: int = _CANDIDATES) -> list[str]:
        """The procedures whose names a request line most resembles: the few worth a full comparison."""
        expanded = " ".join(self.abbreviations.get(re.sub(r"[^a-z]", "", fold_key(t)), fold_key(t))
                            if t.strip(".:;,").isupper() and len(t) >= 2 else fold_key(t)
                            for t in line.replace(",", " ").split())
        if not expanded or not self.name_keys:
            return []
        # First the names sharing the line's rarer words (cheap), then fuzzy similarity among those:
        # comparing every line with 5,000 long names fuzzily would cost tens of milliseconds.
        shared: Counter[int] = Counter()
        for word in dict.fromkeys(expanded.split()):
            owners = self.word_positions.get(word, ())
            if 0 < len(owners) <= _COMMON_WORD:
                for position in owners:
                    shared[position] += 1.0 / len(owners) ** 0.5
        everything = range(len(self.name_keys))
        pool = [position for position, _ in shared.most_common(_POOL)] if shared else list(everything)
        keys = [self.name_keys[position] for position in pool]
        found = process.extract(expanded, keys, scorer=fuzz.partial_ratio, limit=limit * 3, score_cutoff=50)
        chosen: list[str] = []
        for _, _, place in found:
            position = pool[place]
            owner = self.name_owners[position]
            if owner not in chosen:
                chosen.append(owner)
            if len(chosen) >= limit:
                break
        return chosen


def _component_titles(components: tuple[str, ...]) -> list[str]:
    cut = (_COMPONENT_CUT.sub("", fold_key(c)) for c in components)
    return [key for key in cut if is_request_title(key) and len(key.split()) >= 3]


@lru_cache(maxsize=4096)
def _form_key(form: str) -> str:
    return _FORM_PREFIX.sub("", fold_key(form)).strip()


def _canonical(catalog: Catalog) -> dict[str, str]:
    """Each id → the id it is filed under: itself, or the entry it is `same_as` (followed to the end)."""
    canonical: dict[str, str] = {}
    for procedure in catalog:
        target, seen = procedure.id, {procedure.id}
        while True:
            entry = catalog.get(target)
            following = next((s for s in entry.same_as if s in catalog), None) if entry else None
            if following is None or following in seen:
                break
            seen.add(following)
            target = following
        canonical[procedure.id] = target
    return canonical


def _abbreviations(names: dict[str, list[list[str]]]) -> dict[str, str]:
    """Initials → the run of 2-4 name words they most often stand for across the catalog."""
    runs: Counter[tuple[str, str]] = Counter()
    for variants in names.values():
        for words in variants:
            for size in (2, 3, 4):
                for start in range(len(words) - size + 1):
                    chunk = words[start : start + size]
                    runs[(initials(chunk), " ".join(chunk))] += 1
    best: dict[str, tuple[int, str]] = {}
    for (abbreviation, phrase), count in runs.items():
        if count > best.get(abbreviation, (0, ""))[0]:
            best[abbreviation] = (count, phrase)
    return {abbreviation: phrase for abbreviation, (_, phrase) in best.items()}


def index_catalog(catalog: Catalog) -> CatalogIndex:
    """Fold every catalog field the matcher uses."""
    canonical = _canonical(catalog)
    titles: list[Title] = []
    names: dict[str, list[list[str]]] = {}
    duplicates: dict[str, list[str]] = {}
    form_users: Counter[str] = Counter()
    for procedure in catalog:
        owner = canonical[procedure.id]
        if owner != procedure.id:
            duplicates.setdefault(owner, []).append(procedure.id)
        seen = {t.key for t in titles if t.procedure_id == owner}
        for position, shown in enumerate(procedure.titles):
            key = fold_key(shown)
            tier = REQUEST if is_request_title(key) else FORM if position == 0 else PAPER
            if key not in seen:
                titles.append(Title(owner, key, shown, tier))
                seen.add(key)
        for key in _component_titles(procedure.components):
            if key not in seen:
                titles.append(Title(owner, key, key, REQUEST))
                seen.add(key)
        for name in (procedure.name, *procedure.aliases):
            folded = fold_key(name)
            for variant in (folded, _PARENTHESES.sub("", folded).strip()):
                words = variant.replace(",", " ").replace(";", " ").split()
                if words and words not in names.setdefault(owner, []):
                    names[owner].append(words)
        form_users.update({_form_key(f) for f in procedure.forms})
    forms: dict[str, list[tuple[str, float]]] = {}
    for p in catalog:
        keys = [(key, 1.0 / form_users[key]) for key in {_form_key(f) for f in p.forms} if key]
        forms.setdefault(canonical[p.id], []).extend(keys)
    abbreviations = _abbreviations(names)
    for procedure in catalog:
        # A name written with an abbreviation ("công ty TNHH một thành viên") is also stated in
        # full on forms ("trách nhiệm hữu hạn"): spelled out as the catalog's other names spell it.
        for name in (procedure.name, *procedure.aliases):
            short = [t for t in name.replace(",", " ").split() if t.isupper() and 2 <= len(t) <= 6]
            spelled = [abbreviations.get(fold_key(t)) for t in short]
            if short and any(spelled):
                folded = fold_key(_PARENTHESES.sub("", name))
                for token, phrase in zip(short, spelled, strict=True):
                    if phrase and len(phrase.split()) == len(token):
                        folded = re.sub(rf"\b{re.escape(fold_key(token))}\b", phrase, folded)
                words = folded.replace(",", " ").replace(";", " ").split()
                owner = canonical[procedure.id]
                if words not in names.setdefault(owner, []):
                    names[owner].append(words)
    name_keys = [" ".join(words) for owner in names for words in names[owner]]
    name_owners = [owner for owner in names for _ in names[owner]]
    word_positions: dict[str, list[int]] = {}
    for position, key in enumerate(name_keys):
        for word in set(key.split()):
            word_positions.setdefault(word, []).append(position)
    # Procedures whose catalog entry lists no request form (certifications: the paper certified
    # and its attestation are the dossier) are classified by what the attestation names.
    with_form = {title.procedure_id for title in titles if title.tier == REQUEST}
    return CatalogIndex(
        titles=titles, names=names, forms=forms, canonical=canonical, duplicates=duplicates,
        name_keys=name_keys, name_owners=name_owners, word_positions=word_positions,
        abbreviations=abbreviations,
        title_keys=[title.key for title in titles], formless=set(names) - with_form,
        name_starts={" ".join(words[:2]) for variants in names.values() for words in variants if len(words) >= 4})


def find_titles(view: PageView, index: CatalogIndex) -> list[TitleHit]:
    """Catalog titles printed on the page, best window per title, similarity ≥ 70.

    A window must also start like the title (first characters alike): a land certificate's
    heading "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT..." is most of the first-registration form's title
    "ĐƠN ĐĂNG KÝ, CẤP GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT..." but is not that form. And end roughly
    like it: "... KINH DOANH DỊCH VỤ KARAOKE" is not "... kinh doanh cảng hàng không", though
    most of the words are the same.
    """
    if not view.windows or not index.titles:
        return []
    window_keys = [key for _, _, key in view.windows]
    scores = process.cdist(index.title_keys, window_keys, scorer=fuzz.ratio, score_cutoff=_TITLE_CUTOFF)
    hits: list[TitleHit] = []
    matched = np.flatnonzero(np.asarray(scores).any(axis=1))
    for row in matched:
        title = index.titles[row]
        candidates = scores[row].nonzero()[0]
        for col in sorted(candidates, key=lambda c: -scores[row][c])[:3]:
            window = window_keys[col]
            n = min(_PREFIX_CHARS, len(title.key))
            if fuzz.ratio(window[:n], title.key[:n]) < 75 or fuzz.ratio(window[-n:], title.key[-n:]) < 60:
                continue
            start, size, _ = view.windows[col]
            shown = " ".join(view.lines[start : start + size])
            hits.append(TitleHit(title, float(scores[row][col]), view.number, shown))
            break
    return hits


def expand_abbreviations(line: str, words: list[str]) -> str:
    """Folded `line` with upper-case abbreviations replaced by the runs of `words` they abbreviate."""
    out: list[str] = []
    runs: dict[str, tuple[str, ...]] | None = None
    for token in line.replace(",", " ").split():
        key, letters, bare = _token(token)
        looks_abbreviated = bare.isupper() or (bare[:1].isupper() and len(bare) <= 4 and key not in words)
        if looks_abbreviated and 2 <= len(letters) <= 6:
            runs = runs if runs is not None else _runs(tuple(words))
            run = runs.get(letters)
            if run:
                out.extend(run)
                continue
        out.append(key)
    return " ".join(out)


@lru_cache(maxsize=65536)
def _token(token: str) -> tuple[str, str, str]:
    """A token folded, its letters alone, and as printed without punctuation (lines repeat words)."""
    key = fold_key(token).strip(".:;")
    return key, re.sub(r"[^a-z]", "", key), token.strip(".:;,")


@lru_cache(maxsize=16384)
def _runs(words: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Initials → the first run of `words` they abbreviate, computed once per name."""
    runs: dict[str, tuple[str, ...]] = {}
    for size in range(2, 7):
        for start in range(len(words) - size + 1):
            runs.setdefault(initials(list(words[start : start + size])), words[start : start + size])
    return runs


def name_similarity(line: str, procedure_id: str, index: CatalogIndex, complete: bool = False) -> float:
    """How well a request line (slip or form) names the procedure, 0-100.

    Requests start with the procedure's name and may go on ("Đăng ký tạm trú tại chỗ ở thuê: ..."),
    so the line's start is compared with the name as well as the whole line. Clerks also cut long
    names short ("Đăng ký biến động quyền sử dụng đất"): a line that is at least half the name is
    compared with the name's start, slightly discounted for what it leaves out. A `complete` line
    (a form's heading) is compared whole: "khai sinh có yếu tố nước ngoài" is another procedure
    than "khai sinh", not a longer way of naming it.
    """
    best = 0.0
    for words in index.names.get(procedure_id, []):
        name = " ".join(words)
        expanded = expand_abbreviations(line, words)
        best = max(best, fuzz.ratio(name, expanded))
        if complete:
            continue
        best = max(best, fuzz.ratio(name, expanded[: len(name)]))
        if len(name) > len(expanded) >= len(name) / 2:
            share = len(expanded) / len(name)
            best = max(best, fuzz.ratio(name[: len(expanded)], expanded) * (0.85 + 0.15 * share))
    return best


def form_id_score(view: PageView, procedure_id: str, index: CatalogIndex) -> float:
    """Form identifiers ("Mẫu CT01") printed on the page that the procedure uses, 0-1.

    Weighted by how few procedures share the identifier: CT01 is shared by three residence
    procedures, so it points to each only a third as strongly as a form of one procedure would.
    """
    best = 0.0
    for printed in view.form_ids:
        key = _form_key(printed)
        for form, weight in index.forms.get(procedure_id, []):
            if fuzz.ratio(key, form) >= 85 or (len(form) >= 4 and key.startswith(form)):
                best = max(best, weight)
    return best
