"""The outbox on SQLite and PostgreSQL: written with the change, claimed in order, leased, dead-lettered."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from storage.register import DIGITIZED, RECEIVED, Register


def dossier(register: Register, n: int, *, code: bool = True) -> int:
    d = register.create_dossier(fingerprint=f"fp{n}", source_name=f"s{n}.pdf", agency="H39",
                                code=f"H39-260312-{n:04d}" if code else None, station=None, actor="t")
    register.update(d.id, state=RECEIVED, event=("t", "stored", None))
    return d.id


def classify(register: Register, dossier_id: int) -> None:
    register.update(dossier_id, procedure_id="1.001193", due_at=datetime(2026, 3, 13, 17, tzinfo=UTC),
                    event=("t", "classified", None))


def test_messages_are_written_with_their_change_and_wait_for_a_code_and_a_procedure(register_url: str) -> None:
    register = Register(register_url)
    d = dossier(register, 1)
    register.update(d, page_count=3)  # no event the province needs: no message
    register.update(d, page_count=3, event=("t", "viewed", None))
    assert [(m.kind, m.state) for m in register.outbox_messages(dossier_id=d)] == [("received", "waiting")]
    classify(register, d)
    register.add_file(d, role="digitized", name="d.pdf", object_key="k", sha256="a" * 64, size=9,
                      media_type="application/pdf")
    register.update(d, state=DIGITIZED, event=("pipeline", "digitized", None))
    rows = register.outbox_messages(dossier_id=d)
    assert [(m.kind, m.state) for m in reversed(rows)] == [("received", "merged"), ("classified", "pending"),
                                                           ("digitized", "pending")]
    claimed = register.claim_outbox(limit=10, worker="w", lease_seconds=60)
    assert [(c.kind, c.known) for c in claimed] == [("classified", False)]  # the oldest unsent only
    assert claimed[0].facts["due_at"] == "2026-03-13T17:00:00+00:00"
    assert register.outbox_sent([claimed[0].id], worker="w") == 1
    digitized = register.claim_outbox(limit=10, worker="w", lease_seconds=60)
    assert [(c.kind, c.known) for c in digitized] == [("digitized", True)]
    assert [f["role"] for f in digitized[0].facts["files"]] == ["digitized"]


def test_leases_lapse_dead_letters_block_their_dossier_and_retry_puts_them_back(register_url: str) -> None:
    register = Register(register_url)
    d = dossier(register, 1)
    classify(register, d)
    register.update(d, legal_status=9, event=("t", "result_signed", None))
    first = register.claim_outbox(limit=5, worker="a", lease_seconds=60)
    assert register.claim_outbox(limit=5, worker="b", lease_seconds=60) == []  # leased, and its next waits
    later = datetime.now(UTC) + timedelta(seconds=61)
    again = register.claim_outbox(limit=5, worker="b", lease_seconds=60, now=later)  # worker a died
    assert [c.id for c in again] == [c.id for c in first]
    assert register.outbox_sent([first[0].id], worker="a") == 0  # a's late answer no longer counts
    assert register.outbox_refused(again[0].id, worker="b", error="Hồ sơ sai", retry_in=None) == "dead"
    assert register.claim_outbox(limit=5, worker="b", lease_seconds=60, now=later) == []
    assert register.outbox_counts()["dead"] == 1
    assert register.events(d, action="sync_dead_letter")[0].detail["error"] == "Hồ sơ sai"  # type: ignore[index]
    assert register.outbox_retry(None, actor="admin") == 1
    assert [c.kind for c in register.claim_outbox(limit=5, worker="b", lease_seconds=60, now=later)] == ["classified"]


def test_workers_claiming_at_once_never_get_the_same_message(register_url: str) -> None:
    register = Register(register_url)
    for n in range(1, 41):
        classify(register, dossier(register, n))
    got: list[list[int]] = []

    def claim(name: str) -> None:
        mine: list[int] = []
        while batch := register.claim_outbox(limit=3, worker=name, lease_seconds=60):
            mine += [c.id for c in batch]
        got.append(mine)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [m for mine in got for m in mine]
    assert len(every) == len(set(every)) == 40
