"""Search finds Vietnamese text typed with or without diacritics, best first, with snippets."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.register import Register
from storage.search import SearchFilters, index_dossier, search


@pytest.fixture
def register(register_url: str) -> Register:
    """The same dossiers in a register on SQLite and, parametrized, on PostgreSQL: both must agree."""
    register = Register(register_url)
    texts = {
        "birth": "TỜ KHAI ĐĂNG KÝ KHAI SINH\nHọ và tên người yêu cầu: NGUYỄN THỊ ĐOAN TRANG",
        "re-birth": "TỜ KHAI ĐĂNG KÝ LẠI KHAI SINH\nHọ và tên: Trần Văn Đức",
        "marriage": "TỜ KHAI ĐĂNG KÝ KẾT HÔN\nHọ và tên: Lê Văn Khải, 35 tuổi",
        "folded-only": "dang ky khai sinh - ban go khong dau",
    }
    for name, body in texts.items():
        dossier = register.create_dossier(fingerprint=name, source_name=f"{name}.pdf", agency="H00",
                                          code=None, station=None, actor="test")
        register.update(dossier.id, procedure_id="1.000894" if name == "marriage" else "1.001193")
        with register.session() as s:
            index_dossier(s, dossier.id, [(1, body), (0, f"{name}.pdf")])
    return register


def names(register: Register, query: str, **filters: object) -> list[str]:
    with register.session() as s:
        hits = search(s, query, filters=SearchFilters(**filters))  # type: ignore[arg-type]
    return [register.get(h.dossier_id).source_name.removesuffix(".pdf") for h in hits]  # type: ignore[union-attr]


def test_without_diacritics_finds_every_spelling(register: Register) -> None:
    assert set(names(register, "dang ky khai sinh")) == {"birth", "re-birth", "folded-only"}


def test_with_diacritics_ranks_exact_matches_first(register: Register) -> None:
    found = names(register, "đăng ký khai sinh")
    assert set(found) == {"birth", "re-birth", "folded-only"}
    assert found[-1] == "folded-only"
    assert found[0] == "birth"  # the whole phrase beats the words apart


def test_d_with_stroke_folds_both_ways(register: Register) -> None:
    assert names(register, "tran van duc") == ["re-birth"]
    assert names(register, "Trần Văn Đức") == ["re-birth"]
    assert names(register, "doan trang") == ["birth"]


def test_every_word_must_match(register: Register) -> None:
    assert names(register, "khai sinh kết hôn") == []
    assert names(register, "ket hon") == ["marriage"]


def test_snippet_highlights_the_original_words(register: Register) -> None:
    with register.session() as s:
        [hit] = search(s, "nguyen thi doan trang")
    assert "<mark>NGUYỄN</mark> <mark>THỊ</mark> <mark>ĐOAN</mark> <mark>TRANG</mark>" in hit.snippet


def test_filters(register: Register) -> None:
    assert names(register, "tờ khai", procedure="1.000894") == ["marriage"]
    assert names(register, "to khai", procedures=("1.000894", "9.999999")) == ["marriage"]
    assert "marriage" not in names(register, "to khai", procedure="1.001193")


def test_reindexing_leaves_one_copy(register: Register) -> None:
    with register.session() as s:
        index_dossier(s, 1, [(1, "TỜ KHAI ĐĂNG KÝ KHAI SINH")])
        index_dossier(s, 1, [(1, "TỜ KHAI ĐĂNG KÝ KHAI SINH")])
    with register.session() as s:
        assert len(search(s, "khai sinh")) == 3


def test_punctuation_only_query_finds_nothing(register: Register) -> None:
    assert names(register, '" * -- ()') == []


def test_a_word_on_more_pages_than_the_candidates_ranks_the_newest_only(register: Register) -> None:
    """"khai" is on every dossier's page; with room for two candidates only the two newest are ranked."""
    def found(candidates: int) -> set[str]:
        with register.session() as s:
            hits = search(s, "khai", candidates=candidates)
        return {register.get(h.dossier_id).source_name.removesuffix(".pdf") for h in hits}  # type: ignore[union-attr]

    assert found(10) == {"birth", "re-birth", "marriage", "folded-only"}
    assert found(2) == {"marriage", "folded-only"}  # the two newest dossiers' pages


def test_the_newest_candidates_are_found_however_far_back_they_lie(register: Register,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL looks for candidates in ever wider windows of the newest dossiers: with a window of
    one dossier, a word only the oldest dossiers hold is still found, and a common word still ranks
    exactly the newest pages (on SQLite the windows do not exist and the answers are the same)."""
    monkeypatch.setattr("storage.search.WINDOW", 1)
    monkeypatch.setattr("storage.search.RECENCY_GROWTH", 2)
    assert names(register, "doan trang") == ["birth"]  # the oldest dossier, three windows back
    with register.session() as s:
        newest = {h.dossier_id for h in search(s, "khai", candidates=3)}
    assert {register.get(d).source_name for d in newest} == {"re-birth.pdf", "marriage.pdf", "folded-only.pdf"}  # type: ignore[union-attr]


@pytest.fixture
def headers(tmp_path: Path) -> Register:
    """Pages all carrying the commonest words, oldest first; on SQLite (the path whose bm25 is bounded)."""
    register = Register(f"sqlite:///{tmp_path / 'headers.db'}")
    texts = {
        "old-exact": "ỦY BAN NHÂN DÂN xã An Bình",
        "folded-1": "uy ban nhan dan xa an binh (ban go khong dau)",
        "exact": "ỦY BAN NHÂN DÂN xã Bình Thạnh",
        "apart": "nhân dân xã ... ủy ban: đăng ký kết hôn",
        "folded-2": "uy ban nhan dan xa binh thanh",
        "no-ban": "ủy nhân dân, kết hôn",  # lacks "ban": never a match for the whole query
    }
    for name, body in texts.items():
        dossier = register.create_dossier(fingerprint=name, source_name=f"{name}.pdf", agency="H00",
                                          code=None, station=None, actor="test")
        with register.session() as s:
            index_dossier(s, dossier.id, [(1, body)])
    return register


def found(register: Register, query: str, candidates: int) -> list[str]:
    with register.session() as s:
        hits = search(s, query, candidates=candidates)
    return [register.get(h.dossier_id).source_name.removesuffix(".pdf") for h in hits]  # type: ignore[union-attr]


def test_common_words_rank_exact_and_phrase_first_then_the_newest(headers: Register) -> None:
    """With room for 4 candidates every word is on more pages than that (5): no bm25, the flags rank:
    exact words and the phrase (1.5), the exact words apart (1), then the folded phrase (0.5) newest first."""
    assert found(headers, "ủy ban nhân dân", 4) == ["exact", "apart", "folded-2", "folded-1"]
    assert found(headers, "uy ban nhan dan", 4) == ["folded-2", "exact", "folded-1", "apart"]


def test_rare_words_are_ranked_by_bm25_above_the_folded_only(headers: Register) -> None:
    """With room for every page each word is rare: bm25 ranks, the exact phrase first, folded-only last."""
    ranked = found(headers, "ủy ban nhân dân", 5000)
    assert set(ranked[:2]) == {"exact", "old-exact"}
    assert ranked[2] == "apart"
    assert set(ranked[3:]) == {"folded-1", "folded-2"}


@pytest.mark.parametrize("candidates", [2, 4, 5000])
def test_common_and_rare_words_together_match_every_word(headers: Register, candidates: int) -> None:
    """"kết" is on two pages, the header words on five or six: only the page holding all of them."""
    assert found(headers, "ủy ban nhân dân kết", candidates) == ["apart"]
    assert set(found(headers, "uy nhan dan ket", candidates)) == {"no-ban", "apart"}
