"""A full disk under a running `sohoa run`, for real: run inside a user and mount namespace.

`python -m tests.workers.full_disk HOME` mounts a 48 MB tmpfs on HOME (which needs the namespace
`unshare --user --map-root-user --mount` gives any user), starts `sohoa run` there, fills the disk,
drops scans, frees the disk, and prints what it saw as one JSON object for the test to judge.
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


def main(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(home)], check=True)
    env = os.environ | {"SOHOA_HOME": str(home), "SOHOA_MIN_FREE_MB": "8", "SOHOA_SETTLE_SECONDS": "0.3",
                        "SOHOA_OCR_JOBS": "1"}
    staged = home.parent / "staged"
    scans = [save_scan(staged / f"ho-so-{n}.png", [[f"HỒ SƠ SỐ {n}", *BIRTH_FORM[:2]]], dpi=72) for n in range(3)]
    log = home.parent / "run.log"
    with log.open("wb") as out:
        run = subprocess.Popen([*SOHOA, "run"], stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    report: dict[str, object] = {}
    try:
        inbox = home / "inbox"
        report["started"] = wait(lambda: "is watching" in log.read_text(errors="replace") and inbox.exists(), 120)
        time.sleep(1)
        ballast = home / "ballast"
        with ballast.open("wb") as f:  # fill the disk until 4 MB are left: under the 8 MB intake needs
            while os.statvfs(home).f_bavail * os.statvfs(home).f_frsize > 4 * 2**20:
                f.write(b"\0" * 2**20)
        for scan in scans:
            (inbox / scan.name).write_bytes(scan.read_bytes())
        time.sleep(4)
        report["left_in_inbox_while_full"] = sorted(p.name for p in inbox.iterdir())
        report["status_while_full"] = status(env)["intake"]
        ballast.unlink()
        report["all_digitized_after"] = wait(
            lambda: status(env)["by_state"].get("digitized", 0) + status(env)["by_state"].get("needs_review", 0) == 3,
            180)
        report["status_after"] = status(env)["intake"]
        text = log.read_text(errors="replace")
        report["paused_said"] = text.count("intake is paused")
        report["resumed_said"] = text.count("intake resumes")
        report["tracebacks"] = text.count("Traceback")
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    print(json.dumps(report))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
