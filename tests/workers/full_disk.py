"""A full disk under a running `sohoa run`, for real: run inside a user and mount namespace.

`python -m tests.workers.full_disk HOME [intake|ocr]` mounts a 48 MB tmpfs on HOME (which needs the
namespace `unshare --user --map-root-user --mount` gives any user), starts `sohoa run` there, and
prints what it saw as one JSON object for the test to judge. `intake`: fills the disk, drops scans,
frees the disk. `ocr`: drops a 30-page dossier, fills the disk to the last byte while its pages are
read, frees it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import BIRTH_FORM, save_scan

SOHOA = [sys.executable, "-m", "sohoa"]


def status(env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run([*SOHOA, "status", "--json"], capture_output=True, text=True, env=env, timeout=120)
    return json.loads(out.stdout.splitlines()[-1])


def wait(condition, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def fill(home: Path, leave: int = 0) -> Path:
    """A ballast file that takes the disk's space until `leave` bytes are left (or none can be written)."""
    ballast = home / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        while os.statvfs(home).f_bavail * os.statvfs(home).f_frsize > leave:
            os.write(fd, b"\0" * 2**16)
    except OSError:
        pass  # full to the last byte
    finally:
        os.close(fd)
    return ballast


def main(home: Path, scenario: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(home)], check=True)
    env = os.environ | {"SOHOA_HOME": str(home), "SOHOA_MIN_FREE_MB": "8", "SOHOA_SETTLE_SECONDS": "0.3",
                        "SOHOA_OCR_JOBS": "1"}
    staged = home.parent / "staged"
    if scenario == "ocr":
        scans = [save_scan(staged / "nhieu-trang.tif", [[f"TRANG {n}", *BIRTH_FORM[:2]] for n in range(30)])]
    else:
        scans = [save_scan(staged / f"ho-so-{n}.png", [[f"HỒ SƠ SỐ {n}", *BIRTH_FORM[:2]]], dpi=72) for n in range(3)]
    log = home.parent / "run.log"
    with log.open("wb") as out:
        run = subprocess.Popen([*SOHOA, "run"], stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    report: dict[str, object] = {}
    try:
        inbox = home / "inbox"
        report["started"] = wait(lambda: "is watching" in log.read_text(errors="replace") and inbox.exists(), 120)
        time.sleep(1)
        if scenario == "ocr":
            (inbox / scans[0].name).write_bytes(scans[0].read_bytes())
            report["reading"] = wait(lambda: status(env)["by_state"].get("digitizing", 0) == 1, 60)
            ballast = fill(home)  # to the last byte, while the pages are read
            time.sleep(6)
            report["by_state_while_full"] = status(env)["by_state"]
        else:
            ballast = fill(home, leave=4 * 2**20)  # 4 MB left: under the 8 MB intake needs
            for scan in scans:
                (inbox / scan.name).write_bytes(scan.read_bytes())
            time.sleep(4)
            report["left_in_inbox_while_full"] = sorted(p.name for p in inbox.iterdir())
            report["status_while_full"] = status(env)["intake"]
        ballast.unlink()
        report["all_digitized_after"] = wait(
            lambda: status(env)["by_state"].get("digitized", 0) + status(env)["by_state"].get("needs_review", 0)
            == len(scans), 180)
        report["by_state_after"] = status(env)["by_state"]
        report["status_after"] = status(env)["intake"]
        text = log.read_text(errors="replace")
        report["paused_said"] = text.count("intake is paused")
        report["resumed_said"] = text.count("intake resumes")
        report["waiting_said"] = text.count("it goes on when there is room")
        report["tracebacks"] = text.count("Traceback")
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    print(json.dumps(report))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "intake")
