"""The pipeline over rq: real redis-server, real `sohoa worker` subprocesses, objects in S3.

What a province cares about: a burst spreads over workers and every dossier finishes once; a
worker killed mid-job (kill -9 of its whole process group) has its job redone elsewhere with
nothing duplicated; Redis restarting mid-run loses nothing; a step failing on every attempt is
retried with backoff, then left `failed` until `sohoa retry` puts it back; the register on
PostgreSQL serves the workers as SQLite does. Objects go through an S3 server (moto on loopback),
so workers share no folder with the watcher.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from settings import Settings
from storage.register import DIGITIZED, FAILED, NEEDS_REVIEW
from tests.conftest import save_scan
from tests.servers import (
    PostgresServer,
    RedisServer,
    S3Server,
    free_port,
    fresh_bucket,
    postgres_server,
    redis_server,
    s3_server,
)

pytestmark = pytest.mark.slow
__all__ = ["postgres_server", "redis_server", "s3_server"]
SOHOA = str(Path(sys.executable).with_name("sohoa"))
DONE = (DIGITIZED, NEEDS_REVIEW, FAILED)


@pytest.fixture
def distributed(settings: Settings, redis_server: RedisServer, s3_server: S3Server,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings of a province: Redis queues, S3 objects (own bucket), the register in SQLite."""
    env = {"SOHOA_REDIS_URL": redis_server.url, "SOHOA_S3_ENDPOINT": s3_server.endpoint,
           "SOHOA_S3_ACCESS_KEY": s3_server.access_key, "SOHOA_S3_SECRET_KEY": s3_server.secret_key,
           "SOHOA_S3_BUCKET": fresh_bucket(), "SOHOA_OCR_JOBS": "1", "OMP_THREAD_LIMIT": "1"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield Settings()


@pytest.fixture
def workers() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start `sohoa worker` subprocesses, each in its own process group; all stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([SOHOA, "worker", *args], start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def drop(settings: Settings, count: int, pages: int = 1) -> list[int]:
    """Receive `count` small scans (as the watcher does) and enqueue them for the workers."""
    from workers.dispatch import RqRunner
    from workers.receive import receive
    from workers.services import Services

    services = Services(settings)
    runner = RqRunner(services)
    ids = []
    for n in range(count):
        scan = save_scan(settings.home.parent / "scans" / f"ho-so-{n:03d}.png" if pages == 1 else
                         settings.home.parent / "scans" / f"ho-so-{n:03d}.tif",
                         [[f"TỜ KHAI ĐĂNG KÝ KHAI SINH số {n}", "Họ tên: NGUYỄN VĂN AN"]] * pages, dpi=100)
        result = receive(scan, services, actor="test", remove_source=False)
        assert result.dossier_id is not None
        ids.append(result.dossier_id)
        runner.submit(result.dossier_id)
    runner.close()
    return ids


def wait_finished(settings: Settings, ids: list[int], timeout: float) -> None:
    from workers.services import Services

    register = Services(settings).register
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = {d: register.get(d).state for d in ids}  # type: ignore[union-attr]
        # needs_review can be set by classify before index has run: wait for the pipeline's end
        if all(s == FAILED or register.events(d, action="digitized") for d, s in states.items()):
            return
        time.sleep(0.5)
    pytest.fail(f"not finished after {timeout}s: {states}")


def assert_finished_once(settings: Settings, ids: list[int], pages: int = 1) -> None:
    """Digitized, one digitized copy, every page once, indexed once, one `digitized` event."""
    from workers.services import Services

    register = Services(settings).register
    for dossier_id in ids:
        dossier = register.get(dossier_id)
        assert dossier is not None and dossier.state in (DIGITIZED, NEEDS_REVIEW), dossier_id
        assert len(register.files(dossier_id, "digitized")) == 1
        assert [p.number for p in register.pages(dossier_id)] == list(range(1, pages + 1))
        assert len(register.events(dossier_id, action="digitized")) == 1, register.events(dossier_id)
        with register.session() as s:
            rows = s.execute(text("SELECT page FROM search_index WHERE dossier_id = :d ORDER BY page"),
                             {"d": dossier_id}).scalars().all()
        assert rows == [0, *range(1, pages + 1)]
        digitized = register.files(dossier_id, "digitized")[0]
        assert Services(settings).objects.stat(digitized.object_key) is not None


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def metric(body: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in body.splitlines() if line.startswith(name))


def test_a_burst_spreads_over_two_workers_and_each_dossier_finishes_once(distributed: Settings, workers) -> None:
    ports = [free_port(), free_port()]
    for port in ports:
        workers("--metrics-port", str(port))
    ids = drop(distributed, 30)
    wait_finished(distributed, ids, timeout=150)
    assert_finished_once(distributed, ids)
    bodies = [scrape(port) for port in ports]
    assert sum(metric(b, "sohoa_pages_digitized_total") for b in bodies) == 30
    assert all(metric(b, "sohoa_pages_digitized_total") > 0 for b in bodies)  # both did work
    assert 'sohoa_queue_depth{queue="ocr"} 0.0' in bodies[0]
    assert "sohoa_step_seconds_count" in bodies[0]
    status = subprocess.run([SOHOA, "status", "--json"], capture_output=True, text=True, check=True)
    assert '"queues"' in status.stdout and '"busy"' in status.stdout


def test_a_worker_killed_mid_job_has_its_job_redone_once(distributed: Settings, workers) -> None:
    from workers.services import Services

    register = Services(distributed).register
    victim = workers()
    [dossier_id] = drop(distributed, 1, pages=24)  # a few seconds of OCR, to be killed in
    deadline = time.monotonic() + 60
    while (step := register.step(dossier_id, "ocr")) is None or step.state != "running":
        assert time.monotonic() < deadline, "the OCR job never started"
        time.sleep(0.1)
    time.sleep(0.5)  # mid-job: some pages read, nothing stored yet
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(10)
    workers()
    wait_finished(distributed, [dossier_id], timeout=120)
    assert_finished_once(distributed, [dossier_id], pages=24)
    assert register.step(dossier_id, "ocr").attempts == 2  # type: ignore[union-attr]
    assert register.events(dossier_id, action="requeued")


def test_redis_restarting_mid_run_loses_nothing(distributed: Settings, workers,
                                                redis_server: RedisServer) -> None:
    from workers.services import Services

    workers()
    workers()
    ids = drop(distributed, 10)
    register = Services(distributed).register
    deadline = time.monotonic() + 60
    while not any(register.events(d, action="digitized") for d in ids):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    redis_server.stop()
    time.sleep(3)
    redis_server.start()
    more = drop(distributed, 3)  # the watcher side reconnects too
    wait_finished(distributed, ids + more, timeout=150)
    assert_finished_once(distributed, ids + more)


def sohoa(*args: str) -> str:
    """Run the `sohoa` command as an admin would (with the test's SOHOA_* environment); its stdout."""
    return subprocess.run([SOHOA, *args], capture_output=True, text=True, check=True, timeout=120).stdout


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not after {timeout}s"
        time.sleep(0.2)


def test_a_step_failing_every_attempt_is_retried_then_failed_until_sohoa_retry(
        distributed: Settings, workers, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real failure (Tesseract has no language `xyz`), not a mocked one, on every attempt."""
    from workers.services import Services

    monkeypatch.setenv("SOHOA_RETRY_INTERVALS", "[1,1]")  # two retries, a second apart
    monkeypatch.setenv("SOHOA_OCR_LANG", "xyz")
    settings = Settings()
    register = Services(settings).register
    broken = workers()
    first, second = drop(settings, 2)
    early: list[tuple[int, int]] = []  # (dossier, attempt) seen failed while retries remained
    stop = threading.Event()

    def watch_states() -> None:  # as `sohoa ingest` and `sohoa run` watch the register
        while not stop.wait(0.001):  # the window was one commit wide
            for dossier_id in (first, second):
                if register.get(dossier_id).state == FAILED:  # type: ignore[union-attr]
                    attempts = register.step(dossier_id, "ocr").attempts  # type: ignore[union-attr]
                    if attempts < 3:
                        early.append((dossier_id, attempts))

    watcher = threading.Thread(target=watch_states, daemon=True)
    watcher.start()

    wait_for(lambda: all(register.get(d).state == FAILED for d in (first, second)),  # type: ignore[union-attr]
             60, "both dossiers failed")
    stop.set()
    watcher.join()
    assert early == []  # failed only once rq has given up: a runner would report it too soon
    for dossier_id in (first, second):
        retries = register.events(dossier_id, action="retry_scheduled")
        assert [(e.detail["step"], e.detail["retries_left"]) for e in retries] == [("ocr", 2), ("ocr", 1)]
        assert all("xyz" in e.detail["error"] for e in retries)
        last = register.events(dossier_id, newest_first=True, limit=1)[0]
        assert last.action == "failed" and last.detail["step"] == "ocr"
        assert len(register.events(dossier_id, action="failed")) == 1  # retried attempts did not fail it
        assert "TesseractError" in last.detail["error"] and "xyz" in last.detail["error"]
        assert register.step(dossier_id, "ocr").attempts == 3  # type: ignore[union-attr]
        assert register.step(dossier_id, "classify") is None  # nothing ran past the failed step
    # rq has given up too: the jobs sit in the failed registry, none scheduled
    wait_for(lambda: json.loads(sohoa("status", "--json"))["rq"]["queues"]["ocr"]["failed"] == 2, 20,
             "rq's failed registry")
    status = json.loads(sohoa("status", "--json"))
    assert status["by_state"][FAILED] == 2 and status["by_state"][DIGITIZED] == 0
    assert status["rq"]["queues"]["ocr"]["scheduled"] == 0
    assert {f"{d}-ocr" for d in (first, second)} <= {j["job"] for j in status["rq"]["failed_jobs"]}
    assert {f["dossier_id"] for f in status["latest_failures"]} == {first, second}

    # the cause removed: the worker restarted with the language installed
    broken.send_signal(signal.SIGTERM)  # rq's warm shutdown
    broken.wait(30)
    monkeypatch.setenv("SOHOA_OCR_LANG", "vie")
    workers()
    assert json.loads(sohoa("retry", str(first), "--json")) == {"dossier_id": first, "state": "queued"}
    wait_finished(settings, [first], timeout=60)
    assert_finished_once(settings, [first])
    # only the one named: the other waited for a person through the new worker's sweeps
    assert register.get(second).state == FAILED  # type: ignore[union-attr]
    assert [json.loads(line) for line in sohoa("retry", "--all-failed", "--json").splitlines()] == [
        {"dossier_id": second, "state": "queued"}]
    wait_finished(settings, [second], timeout=60)
    assert_finished_once(settings, [first, second])
    for dossier_id in (first, second):
        assert register.step(dossier_id, "ocr").attempts == 1  # type: ignore[union-attr]  # counted afresh
        assert [e.action for e in register.events(dossier_id)].count("retry") == 1
    status = json.loads(sohoa("status", "--json"))
    assert status["by_state"][FAILED] == 0 and status["by_state"][DIGITIZED] + status["by_state"][NEEDS_REVIEW] == 2
    assert status["rq"]["queues"]["ocr"]["failed"] == 0  # `sohoa retry` replaced the failed jobs


def test_a_burst_through_the_workers_with_the_register_on_postgresql(
        distributed: Settings, workers, postgres_server: PostgresServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The province's real setup: PostgreSQL register, rq over Redis, objects in S3."""
    from workers.services import Services

    monkeypatch.setenv("SOHOA_DATABASE_URL", postgres_server.database())
    settings = Settings()
    assert settings.register_url.startswith("postgresql+psycopg://")
    workers()
    workers()
    ids = drop(settings, 4)
    wait_finished(settings, ids, timeout=120)
    assert_finished_once(settings, ids)
    register = Services(settings).register
    for dossier_id in ids:
        for step in ("ocr", "classify", "index"):
            assert register.step(dossier_id, step).attempts == 1, (dossier_id, step)  # type: ignore[union-attr]
    assert not (settings.home / "sohoa.db").exists()  # nothing fell back to SQLite
    hits = [json.loads(line) for line in sohoa("search", "dang ky khai sinh", "--json").splitlines()]
    assert sorted(h["dossier_id"] for h in hits) == sorted(ids)
    assert all("<mark>" in h["snippet"] for h in hits)
    status = json.loads(sohoa("status", "--json"))
    assert status["dossiers"] == 4 and status["by_state"][FAILED] == 0
