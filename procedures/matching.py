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
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from procedures.catalog import Catalog
from procedures.pages import PageView, is_request_title
from procedures.text import fold_key, initials

REQUEST = "request"
FORM = "form"
PAPER = "paper"

_TITLE_CUTOFF = 70.0
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
    """Folded catalog fields, computed once per catalog and reused for every dossier."""

    titles: list[Title]
    names: dict[str, list[list[str]]]
    forms: dict[str, list[tuple[str, float]]]

    @property
    def title_keys(self) -> list[str]:
        return [title.key for title in self.titles]


def _component_titles(components: tuple[str, ...]) -> list[str]:
    cut = (_COMPONENT_CUT.sub("", fold_key(c)) for c in components)
    return [key for key in cut if is_request_title(key) and len(key.split()) >= 3]


def _form_key(form: str) -> str:
    return _FORM_PREFIX.sub("", fold_key(form)).strip()


def index_catalog(catalog: Catalog) -> CatalogIndex:
    """Fold every catalog field the matcher uses."""
    titles: list[Title] = []
    names: dict[str, list[list[str]]] = {}
    form_users: Counter[str] = Counter()
    for procedure in catalog:
        seen: set[str] = set()
        for position, shown in enumerate(procedure.titles):
            key = fold_key(shown)
            tier = REQUEST if is_request_title(key) else FORM if position == 0 else PAPER
            titles.append(Title(procedure.id, key, shown, tier))
            seen.add(key)
        for key in _component_titles(procedure.components):
            if key not in seen:
                titles.append(Title(procedure.id, key, key, REQUEST))
                seen.add(key)
        name = fold_key(procedure.name)
        variants = {name, _PARENTHESES.sub("", name).strip()}
        names[procedure.id] = [v.replace(",", " ").split() for v in variants if v]
        form_users.update({_form_key(f) for f in procedure.forms})
    forms = {
        p.id: [(key, 1.0 / form_users[key]) for key in {_form_key(f) for f in p.forms} if key]
        for p in catalog
    }
    return CatalogIndex(titles=titles, names=names, forms=forms)


def find_titles(view: PageView, index: CatalogIndex) -> list[TitleHit]:
    """Catalog titles printed on the page, best window per title, similarity ≥ 70.

    A window must also start like the title (first characters alike): a land certificate's
    heading "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT..." is most of the first-registration form's title
    "ĐƠN ĐĂNG KÝ, CẤP GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT..." but is not that form.
    """
    if not view.windows or not index.titles:
        return []
    window_keys = [key for _, _, key in view.windows]
    scores = process.cdist(index.title_keys, window_keys, scorer=fuzz.ratio, score_cutoff=_TITLE_CUTOFF)
    hits: list[TitleHit] = []
    for row, title in enumerate(index.titles):
        candidates = scores[row].nonzero()[0]
        for col in sorted(candidates, key=lambda c: -scores[row][c])[:3]:
            window = window_keys[col]
            n = min(_PREFIX_CHARS, len(title.key))
            if fuzz.ratio(window[:n], title.key[:n]) < 75:
                continue
            start, size, _ = view.windows[col]
            shown = " ".join(view.lines[start : start + size])
            hits.append(TitleHit(title, float(scores[row][col]), view.number, shown))
            break
    return hits


def _expand(line: str, words: list[str]) -> str:
    """Folded `line` with upper-case abbreviations replaced by the runs of `words` they abbreviate."""
    out: list[str] = []
    for token in line.replace(",", " ").split():
        key = fold_key(token).strip(".:;")
        letters = re.sub(r"[^a-z]", "", key)
        bare = token.strip(".:;,")
        looks_abbreviated = bare.isupper() or (bare[:1].isupper() and len(bare) <= 4 and key not in words)
        if looks_abbreviated and 2 <= len(letters) <= 6:
            run = _abbreviated_run(letters, words)
            if run:
                out.extend(run)
                continue
        out.append(key)
    return " ".join(out)


def _abbreviated_run(abbreviation: str, words: list[str]) -> list[str] | None:
    size = len(abbreviation)
    for start in range(len(words) - size + 1):
        if initials(words[start : start + size]) == abbreviation:
            return words[start : start + size]
    return None


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
        expanded = _expand(line, words)
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
