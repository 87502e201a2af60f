"""The `sohoa` command: one Typer app, each command group in a module of its own.

Every module in `COMMAND_MODULES` defines `register(app)`, which adds its commands. Commands only
wire settings, stages and storage together; the work itself lives in the stage packages.
"""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES = [
    "sohoa.cli.pipeline",  # run, ingest, status, show, search
    "sohoa.cli.distributed",  # watch, worker, retry
    "sohoa.cli.ocr",  # ocr
    "sohoa.cli.procedures",  # procedures import/list/show, classify
    "sohoa.cli.review",  # review, retrain
    "sohoa.cli.results",  # result add, signers assign/list, sign, return
    "sohoa.cli.signing",  # verify, sign-file
    "sohoa.cli.users",  # users add/list/disable/enable/reset-password, tokens add/list/revoke
    "sohoa.cli.audit",  # audit verify/export
    "sohoa.cli.web",  # web
]

app = typer.Typer(
    name="sohoa",
    help="Digitize one-stop dossiers: ingest scans, OCR them in Vietnamese, classify, search, sign.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Entry point of the `sohoa` console script."""
    app()
