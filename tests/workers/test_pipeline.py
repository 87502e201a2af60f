"""One state machine for every runner: a finished dossier stays finished, a resumed step writes its
events once, a bug in submitting is not swallowed. Real Tesseract on scans rendered here."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings import Settings
from storage.register import Register
from storage.vocabulary import Action, DossierState
from tests.conftest import BIRTH_FORM, save_scan
from tests.servers import RedisServer, free_port, redis_server
from workers.inline import InlineRunner
from workers.pipeline import STEPS, pending_step
from workers.receive import receive
from workers.services import Services

__all__ = ["redis_server"]


def received(services: Services, scan: Path) -> int:
    result = receive(scan, services, actor="test", remove_source=False)
    assert result.dossier_id is not None
    return result.dossier_id


def test_a_finished_dossier_dropped_again_is_not_run_again(settings: Settings, tmp_path: Path) -> None:
    services = Services(settings)
    scan = save_scan(tmp_path / "khai-sinh.pdf", [BIRTH_FORM])
    runner = InlineRunner(services, jobs=1)
    try:
        dossier_id = received(services, scan)
        first = runner.submit(dossier_id).result()
        assert first in (DossierState.DIGITIZED, DossierState.NEEDS_REVIEW)
        assert received(services, scan) == dossier_id  # the same bytes dropped again
        assert runner.submit(dossier_id).result() == first
    finally:
        runner.close()
    register = services.register
    assert len(register.events(dossier_id, action=Action.DIGITIZED)) == 1
    assert len(register.events(dossier_id, action=Action.DROPPED_AGAIN)) == 1
    assert all(register.step(dossier_id, s.name).attempts == 1 for s in STEPS)  # type: ignore[union-attr]
    assert pending_step(dossier_id, services) is None


def test_a_step_resumed_after_a_crash_writes_its_events_once(settings: Settings, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings.model_copy(update={"rescan_confidence": 101.0})  # every page gets a rescan suggestion
    services = Services(settings)
    scan = save_scan(tmp_path / "hai-trang.pdf", [BIRTH_FORM, BIRTH_FORM[:3]])
    dossier_id = received(services, scan)

    class Crash(Exception):
        """The process dying after the OCR step's writes, before its step row says done."""

    real_finish = Register.finish_step

    def crash_after_ocr(self: Register, d: int, name: str, seconds: float) -> None:
        if name == "ocr":
            raise Crash
        real_finish(self, d, name, seconds)

    monkeypatch.setattr(Register, "finish_step", crash_after_ocr)
    runner = InlineRunner(services, jobs=1)
    try:
        assert isinstance(runner.submit(dossier_id).exception(), Crash)
    finally:
        runner.close()
    register = services.register
    assert register.count_events(Action.RESCAN_SUGGESTED) == 2
    monkeypatch.setattr(Register, "finish_step", real_finish)
    runner = InlineRunner(services, jobs=1)
    try:
        assert runner.resume() == [dossier_id]
        runner.wait()
    finally:
        runner.close()
    assert register.step(dossier_id, "ocr").attempts == 2  # type: ignore[union-attr]  # truly run again
    assert register.count_events(Action.RESCAN_SUGGESTED) == 2
    assert len(register.events(dossier_id, action=Action.DIGITIZED)) == 1


def test_rq_submit_raises_a_bug_but_rides_out_redis_being_down(settings: Settings, redis_server: RedisServer,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from workers import dispatch

    services = Services(settings.model_copy(update={"redis_url": redis_server.url}))
    dossier_id = services.register.create_dossier(fingerprint="e" * 64, source_name="x.pdf", agency="H00",
                                                  code=None, station=None, actor="test").id

    def bug(*_args: object, **_kwargs: object) -> bool:
        raise AttributeError("'NoneType' object has no attribute 'page_count'")

    monkeypatch.setattr(dispatch, "enqueue_pending", bug)
    runner = dispatch.RqRunner(services)
    try:
        with pytest.raises(AttributeError):
            runner.submit(dossier_id)
    finally:
        runner.close()
    monkeypatch.undo()
    down = Services(settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"}))
    runner = dispatch.RqRunner(down)
    try:
        future = runner.submit(dossier_id)  # Redis unreachable: the sweeper enqueues it when back
        assert not future.done()
    finally:
        runner.close()


def test_the_queues_are_the_pipeline_s_and_job_ids_read_back() -> None:
    from workers.queues import STAGES, job_id, lease_key, parse_job_id

    assert STAGES == ("ocr", "classify", "index")  # no queue that nothing fills
    for stage in STAGES:
        assert parse_job_id(job_id(1234, stage)) == (1234, stage)
    assert lease_key(job_id(7, "ocr")) == "sohoa:lease:7-ocr"
    with pytest.raises(ValueError):
        parse_job_id("7-sign")


def test_rq_enqueues_nothing_for_a_finished_dossier(settings: Settings, redis_server: RedisServer,
                                                    tmp_path: Path) -> None:
    from workers.queues import connect, enqueue_pending, queue_report

    services = Services(settings)
    scan = save_scan(tmp_path / "khai-sinh.pdf", [BIRTH_FORM])
    runner = InlineRunner(services, jobs=1)
    try:
        dossier_id = received(services, scan)
        runner.submit(dossier_id).result()
    finally:
        runner.close()
    connection = connect(redis_server.url)
    distributed = Services(settings.model_copy(update={"redis_url": redis_server.url}))
    assert enqueue_pending(connection, dossier_id, distributed) is False
    assert all(q["queued"] == 0 for q in queue_report(connection)["queues"].values())
