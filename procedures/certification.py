"""Dossiers without an application form: certifications, classified by what their attestation names.

A certification dossier (chứng thực bản sao từ bản chính, chứng thực chữ ký, chứng thực di chúc...)
holds no request form: it is the paper certified, with the certifier's statement (lời chứng) and
stamp on it, perhaps a receipt slip and an ID card. The catalog says which procedures are like
that (no title or component opens a request) and names them; so the rule is read from the catalog,
not from any template:
- the attestation heading, a line opening with "chứng thực" or "lời chứng", is compared with the
  start of each such procedure's name ("CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH" is most of
  "Chứng thực bản sao từ bản chính ...");
- near-namesakes that the heading alone cannot tell apart ("Chứng thực chữ ký ..." and "Chứng thực
  chữ ký người dịch ...") are told by how much of each name the attested pages hold, each word
  weighed by how rare it is across the catalog's names: a translator's certification holds a
  translation and says "người dịch", a plain signature certification does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rapidfuzz import fuzz

from procedures.matching import CatalogIndex
from procedures.pages import PageView

_OPENINGS = ("loi chung ", "chung thuc ")
_STATEMENT = "loi chung "
_MIN_WORDS = 3
_FLOOR = 60.0
_OPENING_MATCH = 80.0


@dataclass(frozen=True)
class Attestation:
    """A procedure an attestation names: strength 0-1, the heading as printed, its page."""

    procedure: str
    strength: float
    similarity: float
    text: str
    page: int


def headings(view: PageView) -> list[tuple[str, str]]:
    """The attestation headings on a page, (as printed, folded), a wrapped heading joined."""
    found: list[tuple[str, str]] = []
    for i, key in enumerate(view.keys):
        # Compared fuzzily: OCR reads "CHỨNG THỰC" as "Chung thvc" or "HỨNG TbỰC".
        opening = next((o for o in _OPENINGS if fuzz.ratio(key[: len(o)], o) >= _OPENING_MATCH), None)
        if opening is None:
            continue
        key = opening + key[len(opening):]
        line, joined = _heading_only(view.lines[i], key)
        following = view.keys[i + 1] if i + 1 < len(view.keys) else ""
        if following and len(following.split()) <= 2 and view.lines[i + 1].isupper():
            line, joined = f"{line} {view.lines[i + 1]}", f"{key} {following}"
        subject = joined.removeprefix(_STATEMENT)
        if len(subject.split()) >= _MIN_WORDS:
            found.append((line, subject))
    return found


def _capitals(word: str) -> bool:
    """A word in capitals, allowing a letter OCR read in lower case ("CbỮ")."""
    letters = [c for c in word if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) * 2 > len(letters)


def _heading_only(line: str, key: str) -> tuple[str, str]:
    """The heading without what OCR ran into it on the same line ("... BẢN CHÍNH Số chứng thực: 8052").

    A heading in capitals ends at the first word that is not; any heading ends at a colon or a
    full stop. `line` and its folded `key` have the same words, so both are cut at the same one.
    """
    words, keys = line.split(), key.split()
    if len(words) != len(keys):
        return line, key
    end = len(words)
    if _capitals(words[0]):
        end = next((n for n, word in enumerate(words) if any(c.isalpha() for c in word) and not _capitals(word)), end)
    stop = next((n + 1 for n, word in enumerate(words[:end]) if word.endswith((".", ":"))), end)
    end = min(end, stop)
    return " ".join(words[:end]), " ".join(keys[:end]).rstrip(".:")


def _weights(index: CatalogIndex, words: set[str]) -> dict[str, float]:
    total = max(len(index.name_keys), 1)
    return {w: math.log(1 + total / max(len(index.word_positions.get(w, ())), 1)) for w in words}


def _coverage(name: str, present: set[str], index: CatalogIndex) -> float:
    """Share of the name's words (weighed by rarity) that the attested pages hold, 0-1."""
    weights = _weights(index, set(name.replace(",", " ").split()))
    total = sum(weights.values())
    return sum(w for word, w in weights.items() if word in present) / total if total else 0.0


def attestations(views: list[PageView], index: CatalogIndex) -> list[Attestation]:
    """Formless procedures the dossier's attestations name, best first."""
    attested = [(view, heading) for view in views for heading in headings(view)]
    if not attested:
        return []
    present = {word for view, _ in attested for key in view.keys for word in key.replace(",", " ").split()}
    best: dict[str, Attestation] = {}
    for view, (shown, subject) in attested:
        for pid in index.candidates(subject, limit=40):
            if pid not in index.formless:
                continue
            for words in index.names.get(pid, []):
                name = " ".join(words)
                similarity = max(fuzz.ratio(subject, name[: len(subject)]), fuzz.ratio(subject, name))
                strength = max(0.0, (similarity - _FLOOR) / (100 - _FLOOR))
                # The name's first clause is what an attestation can hold; the rest lists cases.
                strength *= 0.4 + 0.6 * _coverage(name.split(",")[0], present, index)
                if strength > (best[pid].strength if pid in best else 0.0):
                    best[pid] = Attestation(pid, strength, similarity, shown, view.number)
    return sorted(best.values(), key=lambda a: -a.strength)
