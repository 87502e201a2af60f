"""Times keep their moment through the register on every backend (a due date at 17:00 +07:00)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from storage.register import Register

VIETNAM = timezone(timedelta(hours=7))


def test_an_aware_time_in_vietnam_comes_back_as_the_same_moment(register_url: str) -> None:
    register = Register(register_url)
    dossier = register.create_dossier(fingerprint="f", source_name="a.pdf", agency="H39", code=None, station=None,
                                      actor="test")
    due = datetime(2026, 3, 2, 17, 0, tzinfo=VIETNAM)
    register.update(dossier.id, due_at=due)
    back = register.get(dossier.id)
    assert back is not None and back.due_at == due and back.due_at.utcoffset() is not None
    assert back.received_at.tzinfo is not None and abs(back.received_at - datetime.now(UTC)) < timedelta(minutes=5)
