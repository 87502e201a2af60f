"""The audit trail: append-only for the application, and a chain that names the row edited behind its back."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.audit import Audit, AuditAction, AuditEntry
from storage.register import Register


def entry(n: int) -> AuditEntry:
    return AuditEntry(actor=f"lan{n}", role="archivist", agency="H39.01", action=AuditAction.VIEW, dossiers=(n,),
                      purpose="1.000894", ip="10.0.0.5", detail={"page": n})


def test_rows_cannot_be_updated_or_deleted(register_url: str) -> None:
    audit = Audit(Register(register_url))
    audit.append(entry(1))
    for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
        with pytest.raises(DBAPIError, match="append-only"), audit.register.engine.begin() as c:
            c.execute(text(statement))
    assert [r["actor"] for r in audit.rows()] == ["lan1"]


def test_verify_names_the_first_row_edited_behind_the_triggers(register_url: str) -> None:
    register = Register(register_url)
    audit = Audit(register)
    for n in range(1, 6):
        audit.append(entry(n))
    assert audit.verify().ok and audit.verify().rows == 5
    sqlite = register.engine.dialect.name == "sqlite"
    with register.engine.begin() as c:  # what someone with the database's owner rights could do
        c.execute(text("DROP TRIGGER audit_no_update" if sqlite else "ALTER TABLE audit DISABLE TRIGGER USER"))
        c.execute(text("UPDATE audit SET dossiers = '[99]' WHERE id = 3"))
    check = audit.verify()
    assert not check.ok and check.broken_id == 3 and check.rows == 2 and "changed" in (check.reason or "")


def test_a_deleted_row_breaks_the_chain_at_the_next(register_url: str) -> None:
    register = Register(register_url)
    audit = Audit(register)
    for n in range(1, 5):
        audit.append(entry(n))
    sqlite = register.engine.dialect.name == "sqlite"
    with register.engine.begin() as c:
        c.execute(text("DROP TRIGGER audit_no_delete" if sqlite else "ALTER TABLE audit DISABLE TRIGGER USER"))
        c.execute(text("DELETE FROM audit WHERE id = 2"))
    assert audit.verify().broken_id == 3


def test_concurrent_writers_never_fork_the_chain(register_url: str) -> None:
    audit = Audit(Register(register_url))
    threads = [threading.Thread(target=lambda k=k: [audit.append(entry(k * 10 + i)) for i in range(5)])
               for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check = audit.verify()
    assert check.ok and check.rows == 20
