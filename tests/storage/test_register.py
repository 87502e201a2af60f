"""The register's typed writes: a misspelt field is an error, keyed events are written once, a result
PDF attached twice opens its tasks once. On SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from storage.register import NewFile, Register, TaskPlan, step_events
from storage.vocabulary import Action, DossierState, FileRole


@pytest.fixture(params=["sqlite", "postgresql"])
def register(request: pytest.FixtureRequest, tmp_path) -> Register:
    if request.param == "sqlite":
        return Register(f"sqlite:///{tmp_path / 'r.db'}")
    return Register(request.getfixturevalue("postgres_server").database())


def dossier(register: Register, n: int = 1) -> int:
    return register.create_dossier(fingerprint=f"{n:064d}", source_name=f"d{n}.pdf", agency="H00",
                                   code=f"H57-{n}", station=None, actor="test").id


def test_update_with_a_misspelt_field_is_refused_and_changes_nothing(register: Register) -> None:
    d = dossier(register)
    with pytest.raises(TypeError, match="procedur_id"):
        register.update(d, procedur_id="1.001193", state=DossierState.DIGITIZED)
    found = register.get(d)
    assert found is not None and found.state == DossierState.RECEIVING and found.procedure_id is None


def test_an_event_with_a_key_is_written_once(register: Register) -> None:
    d = dossier(register)
    assert register.add_event(d, "ocr", Action.RESCAN_SUGGESTED, {"page": 1}, key="k1") is True
    assert register.add_event(d, "ocr", Action.RESCAN_SUGGESTED, {"page": 1}, key="k1") is False
    assert register.count_events(Action.RESCAN_SUGGESTED) == 1


def test_events_of_a_step_run_twice_are_written_once_but_plain_events_append(register: Register) -> None:
    d = dossier(register)
    for _attempt in range(2):  # the step resumed after a crash before its finish_step
        with step_events(d, "ocr"):
            register.add_event(d, "ocr", Action.RESCAN_SUGGESTED, {"page": 1, "confidence": 41.0})
            register.add_event(d, "ocr", Action.RESCAN_SUGGESTED, {"page": 2, "confidence": 12.5})
            register.update(d, page_count=2, event=("ocr", Action.CODE_READ, {"code": "X"}))
        register.add_event(d, "watcher", Action.DROPPED_AGAIN, {"source": "d1.pdf"})
    assert register.count_events(Action.RESCAN_SUGGESTED) == 2
    assert register.count_events(Action.CODE_READ) == 1
    assert register.count_events(Action.DROPPED_AGAIN) == 2  # two real drops are two events
    other = dossier(register, 2)
    with step_events(other, "ocr"):
        register.add_event(other, "ocr", Action.RESCAN_SUGGESTED, {"page": 1, "confidence": 41.0})
    assert register.count_events(Action.RESCAN_SUGGESTED) == 3  # the key holds the dossier


def test_the_same_result_attached_twice_opens_its_tasks_once(register: Register) -> None:
    d = dossier(register)
    pdf = NewFile(FileRole.RESULT, "ket-qua.pdf", f"H00/2026/01/{d}/results/{'a' * 64}.pdf", "a" * 64, 10,
                  "application/pdf")
    steps = [TaskPlan(1, "lanh_dao_ubnd_xa", ("chu-tich",)), TaskPlan(2, "van_thu", ("van-thu",))]
    first = register.attach_result(d, pdf, steps, actor="test")
    again = register.attach_result(d, pdf, steps, actor="test")
    assert first.new and not again.new
    assert [t.id for t in again.tasks] == [t.id for t in first.tasks] and len(first.tasks) == 2
    assert len(register.files(d, FileRole.RESULT)) == 1
    assert register.count_events(Action.RESULT_ADDED) == 1


def test_a_failed_step_records_row_state_and_event_together(register: Register) -> None:
    d = dossier(register)
    register.start_step(d, "ocr", state=DossierState.DIGITIZING)
    register.fail_step(d, "ocr", "boom", state=DossierState.FAILED,
                       event=("pipeline", Action.FAILED, {"step": "ocr", "error": "boom"}))
    step = register.step(d, "ocr")
    found = register.get(d)
    assert step is not None and step.state == "failed" and found is not None and found.state == DossierState.FAILED
    register.reset_steps(d, actor="cli:test")
    found = register.get(d)
    assert register.step(d, "ocr") is None and found is not None and found.state == DossierState.RECEIVED
    assert [e.action for e in register.events(d)][-2:] == [Action.FAILED, Action.RETRY]


def test_the_same_page_twice_in_a_folder_is_two_pages_and_recording_again_adds_none(register: Register) -> None:
    d = dossier(register)
    same = {"role": "original", "object_key": "originals/x/aaaa.png", "sha256": "a" * 64, "size": 10,
            "media_type": "image/png"}
    for _ in range(2):  # a resumed intake records its files again
        register.add_file(d, name="trang-1.png", ordinal=1, **same)
        register.add_file(d, name="trang-2.png", ordinal=2, **same)
        register.add_file(d, name="trang-3.png", ordinal=3, role="original", object_key="originals/x/bbbb.png",
                          sha256="b" * 64, size=10, media_type="image/png")
    files = register.files(d, "original")
    assert [(f.ordinal, f.name) for f in files] == [(1, "trang-1.png"), (2, "trang-2.png"), (3, "trang-3.png")]
def test_a_result_is_returned_once_and_only_once_signed(register: Register) -> None:
    d = dossier(register)
    assert register.return_result(d, actor="web:van.thu", from_status=9, to_status=10) is False  # not signed yet
    register.update(d, legal_status=9)
    assert register.return_result(d, actor="web:van.thu", from_status=9, to_status=10) is True
    assert register.return_result(d, actor="web:van.thu.2", from_status=9, to_status=10) is False  # a second click
    found = register.get(d)
    assert found is not None and found.legal_status == 10 and found.returned_at is not None
    assert [e.actor for e in register.events(d, action=Action.RETURNED)] == ["web:van.thu"]
