"""Full-text search over dossiers, diacritics-insensitive on both sides, best first.

Every page is indexed twice over: folded (no diacritics, đ→d) and exact (NFC). A query matches on
the folded words, so "dang ky khai sinh" finds "đăng ký khai sinh"; the exact words and the whole
phrase add to the score, so a query typed with diacritics ranks exact matches above folded-only
ones. Page 0 of each dossier holds its metadata (code, procedure, applicant, source name), so those
are searchable like the content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from storage.snippet import WORD, query_terms, snippet
from vntext import fold, has_diacritics, nfc

METADATA_PAGE = 0
CANDIDATES = 5000
"""At most this many matching pages are ranked, the newest first. The commonest words ("ủy ban nhân
dân", "cộng hòa xã hội chủ nghĩa") are on every page: ranking all of a province's millions of pages
for them costs seconds and orders nothing a person wants, while a rarer query matches fewer pages
than this and is ranked whole. Narrow a common query with words or filters to reach older pages."""
WINDOW = 5000
"""PostgreSQL looks for the newest candidates among this many newest dossiers first (`_pg_candidates`)."""
RECENCY_GROWTH = 8


@dataclass(frozen=True)
class SearchFilters:
    procedure: str | None = None
    procedures: tuple[str, ...] = ()  # any of these (a field's procedures, resolved by the caller)
    state: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    late: bool | None = None
    agencies: tuple[str, ...] = ()  # only these agencies' dossiers (a person's scope); () is every agency


@dataclass(frozen=True)
class SearchHit:
    dossier_id: int
    code: str | None
    procedure_id: str | None
    score: float
    page: int
    snippet: str


def index_dossier(session: Session, dossier_id: int, pages: Sequence[tuple[int, str]]) -> None:
    """(Re)index a dossier's pages; indexing twice leaves one copy."""
    session.execute(text("DELETE FROM search_index WHERE dossier_id = :d"), {"d": dossier_id})
    session.execute(
        text("INSERT INTO search_index (folded, exact, dossier_id, page) VALUES (:f, :e, :d, :p)"),
        [{"f": fold(body).lower(), "e": nfc(body), "d": dossier_id, "p": number}
         for number, body in pages if body.strip()],
    )


def search(session: Session, query: str, *, filters: SearchFilters = SearchFilters(),
           limit: int = 20, candidates: int = CANDIDATES) -> list[SearchHit]:
    """Dossiers matching every word of `query`, best first, each with its best page's snippet."""
    terms = query_terms(query)
    if not terms:
        return []
    if session.get_bind().dialect.name == "sqlite":
        rows = _sqlite_rows(session, query, terms, filters, limit, candidates)
    else:
        rows = _postgres_rows(session, query, terms, filters, limit, candidates)
    best: dict[int, SearchHit] = {}
    for dossier_id, page, score, body, code, procedure_id in rows:
        if dossier_id not in best:
            best[dossier_id] = SearchHit(dossier_id, code, procedure_id, round(score, 6), page,
                                         snippet(body, terms))
        if len(best) == limit:
            break
    return list(best.values())


def _filter_sql(filters: SearchFilters) -> tuple[str, dict[str, object]]:
    clauses: list[str] = []
    params: dict[str, object] = {}
    if filters.procedure:
        clauses.append("d.procedure_id = :procedure")
        params["procedure"] = filters.procedure
    if filters.procedures:
        names = [f"p{i}" for i in range(len(filters.procedures))]
        clauses.append(f"d.procedure_id IN ({', '.join(':' + n for n in names)})")
        params |= dict(zip(names, filters.procedures, strict=True))
    if filters.agencies:
        names = [f"a{i}" for i in range(len(filters.agencies))]
        clauses.append(f"d.agency IN ({', '.join(':' + n for n in names)})")
        params |= dict(zip(names, filters.agencies, strict=True))
    if filters.state:
        clauses.append("d.state = :state")
        params["state"] = filters.state
    if filters.received_from:
        clauses.append("d.received_at >= :received_from")
        params["received_from"] = filters.received_from
    if filters.received_to:
        clauses.append("d.received_at < :received_to")
        params["received_to"] = filters.received_to
    if filters.late is True:
        clauses.append("d.due_at IS NOT NULL AND COALESCE(d.finished_at, CURRENT_TIMESTAMP) > d.due_at")
    elif filters.late is False:
        clauses.append("d.due_at IS NOT NULL AND COALESCE(d.finished_at, CURRENT_TIMESTAMP) <= d.due_at")
    return "".join(f" AND {c}" for c in clauses), params


def _quoted(words: Sequence[str]) -> str:
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def _sqlite_rows(session: Session, query: str, terms: list[str], filters: SearchFilters,
                 limit: int, candidates: int) -> list[tuple]:
    """Rows matching every folded word, the newest `candidates` of them ranked, cost bounded by that cap.

    The score is FTS5's bm25 over the query's *rare* parts (a folded word, an exact word, the whole
    phrase found on at most `candidates` pages), plus 1 when every word typed with diacritics is
    found exactly as typed, plus 0.5 for the whole phrase, as PostgreSQL scores; equal scores go
    newest first. Why only the rare parts: bm25() weighs each phrase of its MATCH expression by
    counting, once per statement, the pages holding it over the whole table (fts5_aux.c,
    fts5Bm25GetData), so a word on every page costs a walk of a million-entry doclist at 1M pages
    whether 10 or 5,000 pages are ranked ("cộng hòa xã hội chủ nghĩa": 13 such walks, a second).
    A part on more pages than the cap is left out of bm25 and kept as what it is worth: every
    candidate holds every folded word anyway (its weight would be the same for all of them, and a
    word on most pages has an idf FTS5 clamps to 1e-6), and the exact and phrase parts still count
    through the two flags, each found among the candidates alone. Whether a word is rare costs a
    walk of at most `candidates` + 1 entries of its doclist (`_rare`).
    """
    exact_terms = list(dict.fromkeys(w.lower() for w in nfc(query).split() if any(c.isalnum() for c in w)))
    marked = exact_terms != terms
    where, params = _filter_sql(filters)
    folded_all = f"folded : ({_quoted(terms)})"
    # The candidate floor: the rowid of the `candidates`-th newest matching page, found by walking
    # the folded words' doclists backwards (no ranking); only pages above it are ranked.
    floor = session.execute(text(
        "SELECT rowid FROM search_index WHERE search_index MATCH :words ORDER BY rowid DESC LIMIT 1 OFFSET :n"),
        {"words": folded_all, "n": candidates}).scalar()
    above = ""
    if floor is not None:
        above = " AND rowid > :floor"
        params["floor"] = floor
    rare_folded = [t for t in terms if _rare(session, "folded", t, candidates)]
    rare_exact = [t for t in exact_terms if marked and _rare(session, "exact", t, candidates)]
    # Flags, each found above the floor only: every exact word, the phrase. FTS5 leaps through an AND
    # by its rarest doclist, and an exact word is never on more pages than its folded one.
    flags = ""
    if marked:
        flags += (" + CASE WHEN s.rowid IN (SELECT rowid FROM search_index WHERE search_index MATCH :exact"
                  f"{above}) THEN 1 ELSE 0 END")
        params["exact"] = f"exact : ({_quoted(exact_terms)})"
    if len(terms) > 1:
        flags += (" + CASE WHEN s.rowid IN (SELECT rowid FROM search_index WHERE search_index MATCH :phrase"
                  f"{above}) THEN 0.5 ELSE 0 END")
        params["phrase"] = f'folded : "{" ".join(terms)}"'
    if not rare_folded:
        # Every word is on more pages than the cap: no bm25 at all, the flags then the newest first.
        score = "0" + flags
        match = folded_all
    else:
        score = "-bm25(search_index, 1.0, 2.0)" + flags
        # The phrase and exact parts only add score: a row they match holds every folded word when
        # all of them are rare (then every exact word is rare too: it is on no more pages than its
        # folded one), and the required IN below drops the others. The phrase is weighed by bm25
        # only when fewer pages than the cap match, a rare word bounding its doclist walk.
        match = f"folded : ({_quoted(rare_folded)})"
        if len(terms) > 1 and floor is None:
            match += f' OR folded : "{" ".join(terms)}"'
        if rare_exact:
            match += f" OR exact : ({_quoted(rare_exact)})"
        if len(rare_folded) < len(terms):  # the common words are required through the candidates
            where += (" AND +s.rowid IN (SELECT rowid FROM search_index WHERE search_index MATCH :required"
                      f"{above})")
            params["required"] = folded_all
    if floor is not None:
        where += " AND s.rowid > :floor"
    # The texts are read for the rows kept only, not carried through the sort of every candidate.
    sql = text(
        "SELECT r.dossier_id, r.page, r.score, t.exact, r.code, r.procedure_id FROM ("
        f"SELECT s.rowid AS id, s.dossier_id, s.page, {score} AS score, d.code, d.procedure_id "
        "FROM search_index s JOIN dossier d ON d.id = s.dossier_id "
        f"WHERE search_index MATCH :match{where} ORDER BY score DESC, s.rowid DESC LIMIT :rows) r "
        "JOIN search_index t ON t.rowid = r.id ORDER BY r.score DESC, r.id DESC"
    )
    params |= {"match": match, "rows": limit * 10}
    return [tuple(row) for row in session.execute(sql, params)]


def _rare(session: Session, column: str, term: str, candidates: int) -> bool:
    """Whether `term` is on at most `candidates` pages in `column`: a walk of at most that many entries."""
    found = session.execute(text(
        "SELECT count(*) FROM (SELECT 1 FROM search_index WHERE search_index MATCH :term LIMIT :n)"),
        {"term": f"{column} : {_quoted([term])}", "n": candidates + 1}).scalar()
    return bool(found is not None and found <= candidates)


def _postgres_rows(session: Session, query: str, terms: list[str], filters: SearchFilters,
                   limit: int, candidates: int) -> list[tuple]:
    """Rows matching every folded word (GIN on `folded_tsv`), ranked as SQLite ranks them.

    The score is the folded words' rank, plus 1 when every word typed with diacritics is found
    exactly as typed, plus 0.5 for the whole phrase: "đăng ký khai sinh" puts exact spellings
    first and, among them, the exact phrase first; a query without diacritics ranks by the folded
    words and the phrase alone.
    """
    where, params = _filter_sql(filters)
    marked = list(dict.fromkeys(w.lower() for w in WORD.findall(nfc(query)) if has_diacritics(w)))
    score = "ts_rank(s.folded_tsv, to_tsquery('simple', :folded))"
    if marked:
        score += (" + CASE WHEN s.exact_tsv @@ to_tsquery('simple', :exact) THEN 1 ELSE 0 END"
                  " + ts_rank(s.exact_tsv, to_tsquery('simple', :exact_any))")
        params["exact"] = " & ".join(_pg_lexeme(t) for t in marked)
        params["exact_any"] = " | ".join(_pg_lexeme(t) for t in marked)
    if len(terms) > 1:
        score += " + CASE WHEN s.folded_tsv @@ to_tsquery('simple', :phrase) THEN 0.5 ELSE 0 END"
        params["phrase"] = " <-> ".join(_pg_lexeme(t) for t in terms)
    folded = " & ".join(_pg_lexeme(t) for t in terms)
    params |= {"folded": folded, "rows": limit * 10}
    ids, pages = _pg_candidates(session, folded, candidates)
    if not ids:
        return []
    # The dossier of each candidate by its key (OFFSET 0 keeps the subquery a per-row look-up): as a
    # plain join, PostgreSQL hashes the whole dossier table (a million rows) to meet 5,000 pages.
    sql = text(
        f"SELECT s.dossier_id, s.page, {score} AS score, s.exact, d.code, d.procedure_id "
        "FROM unnest(CAST(:ids AS integer[]), CAST(:pages AS integer[])) AS c(dossier_id, page) "
        "JOIN search_index s ON s.dossier_id = c.dossier_id AND s.page = c.page "
        "CROSS JOIN LATERAL (SELECT d.code, d.procedure_id FROM dossier d "
        f"WHERE d.id = s.dossier_id{where} OFFSET 0) d ORDER BY score DESC LIMIT :rows"
    )
    params |= {"ids": ids, "pages": pages}
    return [tuple(row) for row in session.execute(sql, params)]


def _pg_candidates(session: Session, folded: str, candidates: int) -> tuple[list[int], list[int]]:
    """The keys of the `candidates` newest pages matching `folded`, found in ever wider windows.

    Pages are found newest first among the newest WINDOW dossiers, then a window RECENCY_GROWTH
    times wider, and so on, until enough pages match or the window is the whole register. Why:
    the GIN index knows which pages match but not which are newest. A word on every page is
    found by walking the primary key backwards through the first window; a word on one page in
    sixty would otherwise have its hundreds of thousands of pages fetched from the table (seconds
    at 10M pages) only to keep the newest 5,000: the GIN index also holds the dossier id (0007),
    so the window is applied inside the index and only the window's matches are fetched (the
    floor is cast to the column's type, or the index could not take it). A rare word, found in
    no window, costs one more lookup in the GIN index alone.
    """
    newest = session.execute(text("SELECT max(dossier_id) FROM search_index")).scalar()
    if newest is None:
        return [], []
    span = WINDOW
    while True:
        floor = newest - span if span < newest else None
        rows = session.execute(text(
            "SELECT dossier_id, page FROM search_index WHERE folded_tsv @@ to_tsquery('simple', :folded)"
            + (" AND dossier_id > CAST(:floor AS integer)" if floor is not None else "")
            + " ORDER BY dossier_id DESC, page DESC LIMIT :candidates"),
            {"folded": folded, "floor": floor, "candidates": candidates}).all()
        if len(rows) >= candidates or floor is None:
            return [r[0] for r in rows], [r[1] for r in rows]
        span *= RECENCY_GROWTH


def _pg_lexeme(word: str) -> str:
    return "'" + word.replace("'", "''").replace("\\", "") + "'"
