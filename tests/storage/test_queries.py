"""Scoped reads on both backends: another agency's dossier is never found, whatever is asked."""

from __future__ import annotations

from storage.queries import Queries, Scope
from storage.register import Register
from storage.search import SearchFilters, index_dossier


def two_communes(url: str) -> tuple[Register, int, int]:
    register = Register(url)
    ids = []
    for n, agency in enumerate(("H39.01", "H39.02"), start=1):
        d = register.create_dossier(fingerprint=f"f{n}", source_name=f"{n}.pdf", agency=agency,
                                    code=f"{agency}-260105-000{n}", station=None, actor="test")
        register.replace_pages(d.id, [{"number": 1, "text": "TỜ KHAI ĐĂNG KÝ KẾT HÔN của ông NGUYỄN VĂN AN"}])
        register.add_file(d.id, role="original", name=f"{n}.pdf", object_key=f"{agency}/x/{n}.pdf", sha256="0" * 64,
                          size=1, media_type="application/pdf")
        with register.session() as s:
            index_dossier(s, d.id, [(1, "TỜ KHAI ĐĂNG KÝ KẾT HÔN")])
        ids.append(d.id)
    return register, ids[0], ids[1]


def test_every_read_is_scoped_to_the_agencies(register_url: str) -> None:
    register, mine, theirs = two_communes(register_url)
    q, scope = Queries(register), Scope(("H39.01",))
    assert q.dossier(mine, scope) is not None and q.dossier(theirs, scope) is None
    assert q.dossier_by_code("H39.02-260105-0002", scope) is None
    their_file = register.files(theirs, "original")[0].id
    assert q.file(theirs, their_file, scope) is None and q.file(mine, their_file, Scope(None)) is None
    assert q.page(theirs, 1, scope) is None and q.page(mine, 1, scope) is not None
    assert q.events(theirs, scope) == [] and q.events(theirs, Scope(None))
    assert q.counts_by_state(scope) == {"receiving": 1} and q.counts_by_state(Scope(None)) == {"receiving": 2}
    hits = register.search("ket hon", filters=SearchFilters(agencies=("H39.01",)), limit=10)
    assert [h.dossier_id for h in hits] == [mine]
    assert {h.dossier_id for h in register.search("ket hon", filters=SearchFilters(), limit=10)} == {mine, theirs}


def test_the_kiosk_learns_only_the_status(register_url: str) -> None:
    register, _mine, _theirs = two_communes(register_url)
    status = Queries(register).kiosk("H39.02-260105-0002")
    assert status is not None and status.code == "H39.02-260105-0002" and not status.result_ready
    assert "NGUYỄN" not in repr(status)
    assert Queries(register).kiosk("H39.02-260105-9999") is None
