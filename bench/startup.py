"""Start-up of the `sohoa` command: lazy command loading against importing every command module.

    .venv/bin/python -m bench.startup [--repeat N]

Each figure is the fastest of N fresh interpreters (as `timeit` does: a shared VM's speed drifts).
Baselines measured in the same run: a bare `python -c pass`, and `python -c "import <every module
in COMMAND_MODULES>"` with their stages, which is what every command cost before the commands were
loaded lazily. Target: `sohoa --help` and `sohoa verify --help` under 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fastest(argv: list[str], repeat: int) -> float:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, env=env, cwd=ROOT)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from sohoa.cli import COMMAND_MODULES

    python = sys.executable
    bare = fastest([python, "-c", "pass"], args.repeat)
    eager = fastest([python, "-c", "; ".join(f"import {m}" for m in COMMAND_MODULES)
                     + "; import workers.pipeline, workers.dispatch, workers.results, signing"], args.repeat)
    print(f"python -c pass                          {bare:6.3f} s")
    print(f"import every command module and stage   {eager:6.3f} s  (what every command cost when loaded eagerly)")
    for command in (["--help"], ["verify", "--help"], ["status", "--help"], ["search", "--help"]):
        took = fastest([python, "-m", "sohoa", *command], args.repeat)
        print(f"sohoa {' '.join(command):<33} {took:6.3f} s  {eager / took:5.1f}x faster than eager, "
              f"{took - bare:+.3f} s over bare python")


if __name__ == "__main__":
    main()
