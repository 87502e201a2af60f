"""The `sohoa` command loads only what the typed command needs, and still lists every command.

Start-up time is measured by `python -m bench.startup`; these tests check what makes it short:
which modules a command imports, and that the index `--help` reads agrees with the modules.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import typer
import typer.main

from sohoa.cli import COMMAND_MODULES, COMMANDS

HEAVY = ("sklearn", "rq", "pyhanko", "sqlalchemy", "pydantic_settings", "cv2")


def imported_by(*args: str) -> set[str]:
    """Top-level packages imported by `sohoa ARGS` (run to its end in a fresh interpreter)."""
    code = ("import runpy, sys, json, atexit\n"
            "atexit.register(lambda: print('MODULES=' + json.dumps(sorted({m.split('.')[0] for m in sys.modules}))))\n"
            f"sys.argv = ['sohoa', *{list(args)!r}]\n"
            "runpy.run_module('sohoa', run_name='__main__')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env=os.environ.copy()).stdout
    line = next(line for line in out.splitlines() if line.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


def test_help_lists_every_command_without_importing_any_stage() -> None:
    out = subprocess.run([sys.executable, "-m", "sohoa", "--help"], capture_output=True, text=True, timeout=60,
                         env=os.environ.copy(), ).stdout
    for name in COMMANDS:
        assert f" {name} " in out, name
    assert not imported_by("--help") & set(HEAVY)


def test_verify_help_imports_neither_pyhanko_nor_the_pipeline() -> None:
    assert not imported_by("verify", "--help") & set(HEAVY)
    assert not imported_by("status", "--help") & set(HEAVY)


def test_the_index_names_every_command_of_every_module_with_its_own_help() -> None:
    seen: dict[str, tuple[str, str]] = {}
    for module in COMMAND_MODULES:
        app = typer.Typer()
        importlib.import_module(module).register(app)
        group = typer.main.get_group(app)
        for name, command in group.commands.items():
            seen[name] = (module, (command.help or "").strip().split("\n\n")[0].replace("\n", " "))
    assert seen == COMMANDS


def test_the_signing_level_choice_is_the_signing_stage_s() -> None:
    from signing import Level
    from sohoa.cli.signing import LevelChoice

    assert [c.value for c in LevelChoice] == [lv.value for lv in Level]
