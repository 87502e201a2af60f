"""Snippets with highlighted matches, built from the stored text itself.

Matching is done on folded text (no diacritics, đ→d); because folding keeps every character's
offset, the highlight lands on the original words, marks and all, whatever way the user typed.
The same code serves every database backend, so SQLite and PostgreSQL show the same snippets.
"""

from __future__ import annotations

import re

from vntext import fold

WORD = re.compile(r"\w+")
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


def query_terms(query: str) -> list[str]:
    """The words of a query, folded and lower-cased, in order, without repeats."""
    return list(dict.fromkeys(m.group().lower() for m in WORD.finditer(fold(query))))


def snippet(text: str, terms: list[str], width: int = 160) -> str:
    """A window of about `width` characters around the densest run of matches, matches marked.

    Without any match (the dossier matched on metadata) the start of the text is shown.
    """
    folded = fold(text).lower()
    wanted = set(terms)
    hits = [(m.start(), m.end()) for m in WORD.finditer(folded) if m.group() in wanted]
    flat = " ".join(text.split())
    if not hits:
        return flat[:width] + ("…" if len(flat) > width else "")
    best_start, best_score = hits[0][0], -1
    for i, (start, _) in enumerate(hits):
        window = [h for h in hits[i:] if h[1] <= start + width]
        score = len({folded[a:b] for a, b in window}) * 100 + len(window)
        if score > best_score:
            best_start, best_score = start, score
    lo = max(0, best_start - width // 4)
    hi = min(len(text), lo + width)
    pieces, cursor = [], lo
    for start, end in hits:
        if start >= lo and end <= hi:
            pieces += [text[cursor:start], MARK_OPEN, text[start:end], MARK_CLOSE]
            cursor = end
    pieces.append(text[cursor:hi])
    body = " ".join("".join(pieces).split())
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")
