"""Does the distributed pipeline scale with workers? 200 pages through rq, 1 worker then 2.

    .venv/bin/python -m bench.scale [--dossiers 50] [--pages-each 4]

A real redis-server (Debian package) on a free port; real `sohoa worker` processes, each with one
OCR process, pulling from the same queues; the register in SQLite and objects in a local folder
shared by the workers (a province uses PostgreSQL and MinIO: the queues behave the same). The same
dossiers are received and enqueued for each run, then timed until every one is finished.
Target: 2 workers at least 1.8x the pages per minute of 1 on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from settings import Settings
from tests.conftest import BIRTH_FORM, MARRIAGE_FORM, save_scan
from tests.servers import RedisServer
from workers.queues import connect, enqueue_pending
from workers.receive import receive
from workers.services import Services

FINISHED = ("digitized", "needs_review", "failed")


def make_dossiers(folder: Path, dossiers: int, pages_each: int) -> list[Path]:
    paths = []
    for i in range(dossiers):
        pages = [[*(BIRTH_FORM if (i + p) % 2 else MARRIAGE_FORM), f"Hồ sơ số {i}, trang {p + 1}"]
                 for p in range(pages_each)]
        paths.append(save_scan(folder / f"ho-so-{i:03d}.pdf", pages))
    return paths


def run(workers: int, scans: list[Path], redis: RedisServer, home: Path) -> tuple[float, int]:
    env = os.environ | {"SOHOA_HOME": str(home), "SOHOA_REDIS_URL": redis.url, "SOHOA_OCR_JOBS": "1"}
    services = Services(Settings(home=home, redis_url=redis.url, ocr_jobs=1))
    connection = connect(redis.url)
    connection.flushdb()
    ids = []
    for scan in scans:
        result = receive(scan, services, actor="bench", remove_source=False)
        assert result.dossier_id is not None, result.reason
        ids.append(result.dossier_id)
    procs = [subprocess.Popen([sys.executable, "-m", "sohoa", "worker", "-q", "ocr", "-q", "classify", "-q", "index"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
             for _ in range(workers)]
    time.sleep(3)  # workers up before the clock starts
    started = time.perf_counter()
    for dossier_id in ids:
        enqueue_pending(connection, dossier_id, services)
    try:
        while sum(services.register.counts_by_state().get(s, 0) for s in FINISHED) < len(ids):
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(30)
    failed = services.register.counts_by_state().get("failed", 0)
    assert failed == 0, f"{failed} dossiers failed"
    pages = sum(d.page_count or 0 for i in ids if (d := services.register.get(i)))
    return elapsed, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=50)
    parser.add_argument("--pages-each", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sohoa-scale-") as tmp:
        folder = Path(tmp)
        scans = make_dossiers(folder / "scans", args.dossiers, args.pages_each)
        (folder / "redis").mkdir()
        redis = RedisServer(folder / "redis")
        redis.start()
        try:
            one, pages = run(1, scans, redis, folder / "one")
            two, _ = run(2, scans, redis, folder / "two")
        finally:
            redis.stop()
    print(f"{args.dossiers} dossiers, {pages} pages through rq (redis-server), one OCR process per worker")
    print("| workers | seconds | pages/min |\n|---|---|---|")
    print(f"| 1 | {one:.1f} | {60 * pages / one:.1f} |")
    print(f"| 2 | {two:.1f} | {60 * pages / two:.1f} |")
    print(f"speed-up with 2 workers: {one / two:.2f}x (target ≥ 1.8x on 2 cores)")


if __name__ == "__main__":
    main()
