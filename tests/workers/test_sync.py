"""The hand-off against the stand-in province on loopback: what a province checks of it.

Dossiers go from receipt to return through the register's own writes (no OCR: tests/province/
lifecycle.py), so the outbox fills as in production; the sync worker sends it to the stand-in
(province/sim.py), which downloads every file through sohoa's file host and keeps what it got.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from sohoa.cli import app_for
from tests.province.handoff import Handoff, handoff
from tests.servers import RedisServer, redis_server
from workers.sync import SyncWorker

__all__ = ["handoff", "redis_server"]
SOHOA = str(Path(sys.executable).with_name("sohoa"))
LIFE = [2, 2, 9, 10]  # classified (status 2, with the due date), digitized (files), signed, returned


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def unsent(h: Handoff) -> int:
    counts = h.services.register.outbox_counts()
    return counts["pending"] + counts["sending"] + counts["waiting"]


def inserts(h: Handoff) -> dict[str, int]:
    return dict(h.sim.query("SELECT mahoso, count(*) FROM change WHERE service = 'insert' GROUP BY mahoso"))


def sohoa(*args: str) -> Result:
    """The command in this process (the fixture's environment is the test's): starting one costs seconds."""
    return CliRunner().invoke(app_for(list(args)), list(args))


@pytest.mark.slow
def test_200_dossiers_arrive_once_each_in_order_with_every_status_and_their_files(handoff: Handoff) -> None:
    h = handoff
    stop = threading.Event()
    worker = SyncWorker(h.services)
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()  # sending while dossiers move on: order must hold under concurrency
    expected = {}
    try:
        ids = [h.life.receive(n) for n in range(1, 201)]
        for step in (h.life.classify, h.life.digitize, h.life.sign, h.life.give_back):
            for dossier_id in ids:
                step(dossier_id)
        for dossier_id in ids:
            dossier = h.services.register.get(dossier_id)
            assert dossier is not None
            shas = {f.sha256 for f in dossier.files if f.role in ("digitized", "signed_result")}
            expected[dossier.code] = shas
        wait_until(lambda: unsent(h) == 0, 120, "the outbox to drain")
    finally:
        stop.set()
        thread.join(10)
    assert h.sim.statuses() == {code: LIFE for code in expected}
    assert inserts(h) == dict.fromkeys(expected, 1)
    fetched: dict[str, set[str]] = {}
    for mahoso, sha in h.sim.query("SELECT mahoso, sha256 FROM file"):
        fetched.setdefault(mahoso, set()).add(sha)
    assert fetched == expected
    record = h.sim.record(next(iter(expected)))
    assert record is not None
    assert record["TrangThaiHoSo"] == 10 and record["HoSoCoThanhPhanSoHoa"] == 1
    assert record["TaiLieuNop"][0]["DuocSoHoa"] == 1 and len(record["DanhSachGiayToKetQua"]) == 1
    assert record["NgayTra"] and record["NgayKetThucXuLy"] and record["NgayHenTra"] > record["NgayTiepNhan"]
    steps = h.sim.query("SELECT content FROM progress WHERE mahoso = ? ORDER BY at, rowid", next(iter(expected)))
    assert [s for (s,) in steps] == ["Xác định thủ tục hành chính", "Số hóa thành phần hồ sơ",
                                     "Ký số kết quả giải quyết", "Trả kết quả"]
    reads = h.services.register.events(action="file_read")
    assert reads and all(e.actor == "province" for e in reads)
    assert h.services.register.outbox_counts()["dead"] == 0


@pytest.mark.slow
def test_kill_9_mid_batch_and_the_province_down_lose_nothing_and_change_nothing_twice(handoff: Handoff) -> None:
    h = handoff
    codes = []
    for n in range(1, 61):
        h.life.whole(n)
        codes.append(f"{h.life.agency}-260312-{n:04d}")
    h.sim.config.faults.rate, h.sim.config.faults.kinds, h.sim.config.faults.slow_seconds = 1.0, ("slow",), 0.4
    log = Path(h.settings.home) / "sync.log"
    with log.open("w") as out:
        first = subprocess.Popen([SOHOA, "sync", "run"], stdout=out, stderr=subprocess.STDOUT,
                                 env=os.environ | h.env | {"PYTHONPATH": os.getcwd()}, start_new_session=True)
    try:
        wait_until(lambda: len(h.sim.query("SELECT 1 FROM change")) >= 40
                   and h.services.register.outbox_counts()["sending"] > 0, 60, "a batch in flight")
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    assert unsent(h) > 0
    h.sim.stop()  # the province goes down while sohoa restarts
    with log.open("a") as out:
        second = subprocess.Popen([SOHOA, "sync", "run"], stdout=out, stderr=subprocess.STDOUT,
                                  env=os.environ | h.env | {"PYTHONPATH": os.getcwd()}, start_new_session=True)
    try:
        time.sleep(4)  # rounds fail against a closed port and back off; nothing may be dead-lettered
        assert h.services.register.outbox_counts()["dead"] == 0
        h.sim.config.faults.rate = 0.0
        h.sim.start()
        wait_until(lambda: unsent(h) == 0, 90, f"the outbox to drain ({log.read_text()[-2000:]})")
    finally:
        os.killpg(second.pid, signal.SIGKILL)
        second.wait()
    assert h.sim.statuses() == {code: LIFE for code in codes}
    assert inserts(h) == dict.fromkeys(codes, 1)
    assert h.services.register.outbox_counts()["dead"] == 0


@pytest.mark.slow
def test_sessions_expiring_mid_run_cost_a_login_not_a_message(handoff: Handoff) -> None:
    h = handoff
    codes = [h.services.register.get(h.life.whole(n)[0]).code for n in range(1, 31)]  # type: ignore[union-attr]
    h.sim.config.faults.rate, h.sim.config.faults.kinds = 0.3, ("session",)
    worker = SyncWorker(h.services)
    worker.round()
    h.sim.expire_sessions()  # and every session ends at once, too
    for _ in range(40):
        if unsent(h) == 0:
            break
        worker.round()
    assert unsent(h) == 0
    assert h.sim.statuses() == {code: LIFE for code in codes}
    assert worker.client.logins >= 2
    assert h.sim.query("SELECT count(*) FROM call WHERE outcome = 'fault:session'")[0][0] >= 1
    assert h.services.register.outbox_counts()["dead"] == 0


def test_a_field_the_province_rejects_is_a_dead_letter_with_its_message_and_resend_fixes_it(
        handoff: Handoff) -> None:
    h = handoff
    good = h.life.receive(1)
    bad = h.life.receive(2)
    h.life.classify(good)
    dossier = h.services.register.get(bad)
    assert dossier is not None
    h.life.classify(bad, due=dossier.received_at.replace(year=2020))  # due before receipt
    h.life.digitize(bad)  # a later message of the refused dossier: it must wait, not overtake
    worker = SyncWorker(h.services)
    worker.drain()
    dead = h.services.register.outbox_messages(states=["dead"])
    assert [(m.dossier_id, m.kind, m.attempts) for m in dead] == [(bad, "classified", 4)]
    assert "NgayHenTra trước NgayTiepNhan" in (dead[0].last_error or "")
    assert list(h.sim.statuses()) == [h.services.register.get(good).code]  # type: ignore[union-attr]
    assert {m.kind: m.state for m in h.services.register.outbox_messages(dossier_id=bad)}["digitized"] == "pending"

    status = json.loads(sohoa("status", "--json").stdout)
    assert status["sync"]["dead"] == 1
    listed = json.loads(sohoa("sync", "status", "--json").stdout)
    assert listed["messages"][0]["error"].startswith(f"Hồ sơ {dossier.code}: NgayHenTra")

    h.life.classify(bad)  # the reviewer fixes the due date...
    resent = sohoa("sync", "resend", str(bad), "--json")
    assert resent.exit_code == 0, resent.output
    worker.drain()  # ...and the dossier arrives as it is now
    assert h.sim.statuses()[dossier.code] == [2]  # type: ignore[index]
    assert h.services.register.outbox_counts()["dead"] == 0


def test_sync_retry_puts_dead_letters_back(handoff: Handoff) -> None:
    h = handoff
    dossier_id = h.life.receive(1)
    h.life.classify(dossier_id)
    h.sim.config.faults.rate, h.sim.config.faults.kinds = 1.0, ("error_code",)
    SyncWorker(h.services).drain()
    assert h.services.register.outbox_counts()["dead"] == 1
    h.sim.config.faults.rate = 0.0
    out = sohoa("sync", "retry", "--json")
    assert json.loads(out.stdout) == {"requeued": 1}
    SyncWorker(h.services).drain()
    assert h.services.register.outbox_counts() | {"merged": 0} == {
        "waiting": 0, "pending": 0, "sending": 0, "sent": 1, "merged": 0, "dead": 0}


@pytest.mark.slow
def test_time_outs_and_http_500_are_retried_without_counting_a_try(handoff: Handoff) -> None:
    h = handoff
    codes = [h.services.register.get(h.life.whole(n)[0]).code for n in range(1, 6)]  # type: ignore[union-attr]
    h.sim.config.faults.rate, h.sim.config.faults.kinds = 0.2, ("timeout", "http500")
    h.sim.random.seed(7)
    worker = SyncWorker(h.services)
    deadline = time.monotonic() + 90
    while unsent(h) and time.monotonic() < deadline:
        report = worker.round()
        if report.unreachable:
            time.sleep(worker.backoff)
    assert unsent(h) == 0
    assert h.sim.statuses() == {code: LIFE for code in codes}  # a call applied, then answered late: once
    assert inserts(h) == dict.fromkeys(codes, 1)
    assert all(m.attempts == 0 for m in h.services.register.outbox_messages(limit=100))


def test_sohoa_run_starts_the_sync_thread_and_its_web_serves_the_files(handoff: Handoff) -> None:
    from sohoa.cli.web import serve_in_thread
    from sohoa.filehost import start_handoff
    from tests.servers import free_port
    from workers.services import Services

    h = handoff
    code = h.services.register.get(h.life.whole(1)[0]).code  # type: ignore[union-attr]
    services = Services(h.settings.model_copy(update={"web_port": free_port()}))  # the fixture's host has its port
    stop = threading.Event()
    web = serve_in_thread(services)  # as `sohoa run` does: the web app holds the file links' route
    threads = start_handoff(services, stop)
    assert threads and all(t.is_alive() for t in threads)
    try:
        wait_until(lambda: unsent(h) == 0, 60, "the sync thread to drain the outbox")
    finally:
        stop.set()
        web.should_exit = True
    assert h.sim.statuses() == {code: LIFE}
    assert start_handoff(Services(h.settings.model_copy(update={"province_url": None})), stop) == []
    assert start_handoff(Services(h.settings.model_copy(update={"redis_url": "redis://x"})), stop) == []


@pytest.mark.slow
def test_the_sync_rq_queue_drains_the_outbox(handoff: Handoff, redis_server: RedisServer,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from rq import SimpleWorker

    from workers.queues import connect
    from workers.services import worker_services
    from workers.sync import ensure_drain

    h = handoff
    codes = [h.services.register.get(h.life.whole(n)[0]).code for n in range(1, 6)]  # type: ignore[union-attr]
    monkeypatch.setenv("SOHOA_REDIS_URL", redis_server.url)
    worker_services.cache_clear()
    connection = connect(redis_server.url)
    assert ensure_drain(connection, h.settings)
    assert not ensure_drain(connection, h.settings)  # one drain job at a time
    SimpleWorker(["sync"], connection=connection).work(burst=True, logging_level="WARNING")
    worker_services.cache_clear()
    assert unsent(h) == 0
    assert h.sim.statuses() == {code: LIFE for code in codes}


def test_an_insert_batch_applied_but_answered_too_late_is_sent_again_as_one_update(handoff: Handoff) -> None:
    h = handoff
    for n in range(1, 11):
        h.life.classify(h.life.receive(n))
    h.sim.config.faults.rate, h.sim.config.faults.kinds = 1.0, ("timeout",)
    worker = SyncWorker(h.services)
    assert worker.round().unreachable  # the province applied the batch; its answer came too late
    assert len(h.sim.statuses()) == 10 and unsent(h) == 10
    h.sim.config.faults.rate = 0.0
    before = h.sim.query("SELECT count(*) FROM call WHERE service = 'DongBoHoSoMC'")[0][0]
    time.sleep(worker.backoff)  # the batch was given back to wait out the back-off
    assert worker.round().sent == 10
    calls = h.sim.query("SELECT outcome, message FROM call WHERE service = 'DongBoHoSoMC' AND id > ?", before)
    assert [c[0] for c in calls] == ["refused", "ok"] and "đã tồn tại" in calls[0][1]
    assert all(s == [2] for s in h.sim.statuses().values())
