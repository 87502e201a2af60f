"""The hand-off at a province's scale: a working day of dossiers through the outbox to the stand-in.

`python -m bench.sync [--dossiers 5000] [--faults 0.05] [--baseline 500]`

Dossiers are taken from receipt to return through the register's writes (no OCR), which fills the
outbox as in production; then `sohoa sync run` drains it against `sohoa province-sim` (another
process, injecting `--faults` of HTTP 500, time-outs, slow answers, expired sessions and wrong
error codes), which downloads every file through sohoa's file host. Printed: time to drain,
service calls and file downloads per dossier, and what the stand-in holds: every dossier must have
arrived once with statuses 2, 2, 9, 10 (0 lost, 0 duplicated). The baseline is the same hand-off
of `--baseline` dossiers with no faults, run first in the same process. The register and the
objects live on /dev/shm when there is one: filling 5,000 dossiers through a virtual disk's fsync
would take longer than the hand-off being measured.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from settings import Settings
from sohoa.filehost import FileHost
from tests.province.handoff import CREDENTIALS, handoff_env
from tests.province.lifecycle import Lifecycle
from tests.servers import free_port, wait_for_port
from workers.services import Services

SOHOA = str(Path(sys.executable).with_name("sohoa"))
LIFE = [2, 2, 9, 10]


def run(dossiers: int, faults: float, batch: int) -> dict[str, float]:
    scratch = "/dev/shm" if Path("/dev/shm").is_dir() else None  # the hand-off is measured, not the disk's fsync
    with tempfile.TemporaryDirectory(prefix="bench-sync-", dir=scratch) as tmp:
        root = Path(tmp)
        home = root / "var"
        home.mkdir()
        sim_port, files_port = free_port(), free_port()
        env = handoff_env(home, f"http://127.0.0.1:{sim_port}", files_port) | {
            "SOHOA_PROVINCE_BATCH": str(batch), "SOHOA_PROVINCE_MAX_BACKOFF": "0.5", "SOHOA_PROVINCE_TIMEOUT": "5",
            "SOHOA_PROVINCE_LEASE_SECONDS": "30", "SOHOA_PROVINCE_RETRY_INTERVALS": "[1, 2, 5, 10, 30]"}
        os.environ.update(env)
        services = Services(Settings())
        life = Lifecycle(services)
        started = time.perf_counter()
        for n in range(1, dossiers + 1):
            life.whole(n)
        filled = time.perf_counter() - started
        creds = root / "sim.credentials"
        creds.write_text(CREDENTIALS, encoding="utf-8")
        db = root / "province.sqlite"
        host = FileHost(services, "127.0.0.1", files_port).start()
        # The worker starts first (its imports are not the hand-off) and waits for the province.
        worker = subprocess.Popen([SOHOA, "sync", "run"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True, start_new_session=True)
        assert worker.stdout is not None
        worker.stdout.readline()
        sim = subprocess.Popen([SOHOA, "province-sim", "--port", str(sim_port), "--db", str(db), "--credentials",
                                str(creds), "--madonvi", "000.00.21.H39", "--fault-rate", str(faults),
                                "--timeout-seconds", "6"], stdout=subprocess.DEVNULL, start_new_session=True)
        wait_for_port(sim_port, timeout=120)
        started = time.perf_counter()
        try:
            while True:
                counts = services.register.outbox_counts()
                if counts["pending"] + counts["sending"] + counts["waiting"] == 0:
                    break
                time.sleep(0.5)
            drained = time.perf_counter() - started
        finally:
            for process in (worker, sim):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            host.stop()
        province = sqlite3.connect(db)
        history: dict[str, list[int]] = {}
        for mahoso, status in province.execute("SELECT mahoso, status FROM change ORDER BY id"):
            history.setdefault(mahoso, []).append(status)
        inserts = province.execute("SELECT count(*) FROM change WHERE service = 'insert'").fetchone()[0]
        calls = province.execute("SELECT count(*) FROM call").fetchone()[0]
        fault_calls = province.execute("SELECT count(*) FROM call WHERE outcome LIKE 'fault:%'").fetchone()[0]
        downloads = len(services.register.events(action="file_read"))
        lost = dossiers - sum(1 for statuses in history.values() if statuses == LIFE)
        duplicated = sum(1 for statuses in history.values() if len(statuses) > len(LIFE)) + max(0, inserts - dossiers)
        return {"dossiers": dossiers, "fill_s": filled, "drain_s": drained, "calls": calls, "fault_calls": fault_calls,
                "downloads": downloads, "lost": lost, "duplicated": duplicated,
                "dead": services.register.outbox_counts()["dead"]}


def line(name: str, r: dict[str, float]) -> str:
    n = r["dossiers"]
    return (f"{name:<9} {n:>6.0f} dossiers  drain {r['drain_s']:7.1f} s  {n / r['drain_s']:6.1f} dossiers/s  "
            f"{r['calls'] / n:5.2f} calls/dossier ({r['fault_calls']:.0f} faulted)  "
            f"{r['downloads'] / n:4.2f} downloads/dossier  lost {r['lost']:.0f}  duplicated {r['duplicated']:.0f}  "
            f"dead {r['dead']:.0f}  (register filled in {r['fill_s']:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=5000)
    parser.add_argument("--faults", type=float, default=0.05)
    parser.add_argument("--baseline", type=int, default=500)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    base = run(args.baseline, 0.0, args.batch)
    print(line("baseline", base), flush=True)
    measured = run(args.dossiers, args.faults, args.batch)
    print(line(f"faults {args.faults:.0%}", measured), flush=True)
    per_base = base["drain_s"] / base["dossiers"]
    per_measured = measured["drain_s"] / measured["dossiers"]
    print(f"time per dossier with faults / without: {per_measured / per_base:.2f}x · "
          f"calls per dossier: {measured['calls'] / measured['dossiers']:.2f} vs {base['calls'] / base['dossiers']:.2f}"
          f" · target drain < 300 s: {'met' if measured['drain_s'] < 300 else 'MISSED'}")


if __name__ == "__main__":
    main()
