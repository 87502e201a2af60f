"""The `sohoa` command: one Typer app, each command group in a module of its own, loaded lazily.

Every module in `COMMAND_MODULES` defines `register(app)`, which adds its commands. Commands only
parse, call `workers/` or a stage, and print. Starting Python with every stage imported (pydantic,
SQLAlchemy, scikit-learn, pyHanko, rq) costs seconds, so `main` imports only the module of the
command typed: `COMMANDS` says which module has which command, with the line `sohoa --help` shows
for it (a test checks it against the modules). A module listed in `COMMAND_MODULES` but not in
`COMMANDS` still works: it is imported whenever a command is not found in `COMMANDS`.
"""

from __future__ import annotations

import importlib
import sys

import typer

COMMAND_MODULES = [
    "sohoa.cli.pipeline",  # run, ingest
    "sohoa.cli.dossiers",  # status, show, search
    "sohoa.cli.distributed",  # watch, worker, retry
    "sohoa.cli.ocr",  # ocr
    "sohoa.cli.procedures",  # procedures import/list/show, classify
    "sohoa.cli.review",  # review, retrain
    "sohoa.cli.results",  # result add, signers assign/list, sign, return
    "sohoa.cli.signing",  # verify, sign-file
    "sohoa.cli.archive",  # archive export, archive verify
    "sohoa.cli.sync",  # sync status/retry/resend/run, province-sim
    "sohoa.cli.report",  # report
    "sohoa.cli.users",  # users add/list/disable/enable/reset-password, tokens add/list/revoke
    "sohoa.cli.audit",  # audit verify/export
    "sohoa.cli.web",  # web
]

# command name -> (module, the line `sohoa --help` shows): what `main` reads instead of importing.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("sohoa.cli.pipeline", "Watch the inbox and digitize every dossier dropped into it, until Ctrl-C."),
    "ingest": ("sohoa.cli.pipeline", "Digitize files or folders once, without watching, and exit when they are done."),
    "status": ("sohoa.cli.dossiers", "Dossiers per pipeline state, the latest failures, quarantined files and rescan "
                                    "suggestions."),
    "show": ("sohoa.cli.dossiers", "A dossier: code, state, files with SHA-256, pages with confidence, and its "
                                  "history."),
    "search": ("sohoa.cli.dossiers", "Find dossiers by their text and metadata, best first, with a highlighted "
                                    "snippet."),
    "watch": ("sohoa.cli.distributed", "Watch the inbox and enqueue every received dossier for the workers (needs "
                                      "SOHOA_REDIS_URL)."),
    "worker": ("sohoa.cli.distributed", "Run pipeline jobs from Redis until stopped; run as many as the OCR machines "
                                       "allow."),
    "retry": ("sohoa.cli.distributed", "Put failed dossiers back in the pipeline: unfinished steps are forgotten and "
                                      "run again."),
    "ocr": ("sohoa.cli.ocr", "OCR scanned dossiers in Vietnamese and write each page's text to --text-dir."),
    "classify": ("sohoa.cli.procedures", "OCR and classify dossiers by procedure without storing anything (one JSON "
                                        "line per input)."),
    "procedures": ("sohoa.cli.procedures", "The procedure (TTHC) catalog: import a province's export, list, show."),
    "review": ("sohoa.cli.review", "List dossiers waiting for review with their top-3 suggestions, or file one under "
                                  "a procedure."),
    "retrain": ("sohoa.cli.review", "Train the classifier again from every reviewer's corrections, and use it from "
                                   "now on."),
    "sign": ("sohoa.cli.results", "`sohoa sign inbox` lists the tasks waiting for you; `sohoa sign 3 4 5 --token T` "
                                 "signs them."),
    "return": ("sohoa.cli.results", "Record that the signed result was handed back to the citizen (status 10)."),
    "result": ("sohoa.cli.results", "Results (kết quả) of dossiers, to be signed."),
    "signers": ("sohoa.cli.results", "Who holds each signer role of the catalog."),
    "verify": ("sohoa.cli.signing", "Check every signature of FILE against the verification policy (see the README)."),
    "sign-file": ("sohoa.cli.signing", "Sign plain PDF files as PAdES and verify each result before writing it; print "
                                      "the level embedded."),
    "archive": ("sohoa.cli.archive", "Archive packages (E-ARK SIP, Thông tư 05/2025/TT-BNV): export and verify."),
    "province-sim": ("sohoa.cli.sync", "Run the stand-in provincial adapter: real HTTP, its own SQLite, field checks, "
                                      "injected faults."),
    "sync": ("sohoa.cli.sync", "Hand-off to the provincial one-stop system (the outbox)."),
    "report": ("sohoa.cli.report", "Biểu 06 by field per agency and in total, the 766 indicators (1.4, 4.1, 4.2, on "
                                  "time), and plots."),
    "users": ("sohoa.cli.users", "People who sign in to the web (roles and agencies)."),
    "tokens": ("sohoa.cli.users", "Tokens of scanner stations for the upload API."),
    "audit": ("sohoa.cli.audit", "The audit trail of every read of personal data."),
    "web": ("sohoa.cli.web", "Serve the web pages and the station API until Ctrl-C."),
}

HELP = "Digitize one-stop dossiers: ingest scans, OCR them in Vietnamese, classify, search, sign."


def new_app() -> typer.Typer:
    """An empty `sohoa` app, with the callback that keeps it a group of commands."""
    app = typer.Typer(name="sohoa", help=HELP, no_args_is_help=True, add_completion=False,
                      pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """Digitize one-stop dossiers: ingest scans, OCR them in Vietnamese, classify, search, sign."""

    return app


def app_for(args: list[str]) -> typer.Typer:
    """The app `args` need: the typed command's module alone, or every command for help and errors."""
    app = new_app()
    name = next((a for a in args if not a.startswith("-")), None)
    if name in COMMANDS:
        importlib.import_module(COMMANDS[name][0]).register(app)
        return app
    lazy = {module for module, _ in COMMANDS.values()}
    for module in COMMAND_MODULES:  # modules not in COMMANDS yet: their commands are found by importing them
        if module not in lazy:
            importlib.import_module(module).register(app)
    for command, (_module, line) in COMMANDS.items():
        app.command(command, help=line, context_settings={"ignore_unknown_options": True,
                                                          "allow_extra_args": True})(_listed_only)
    return app


def _listed_only() -> None:
    """Never run: `app_for` loads the real command whenever its name is typed."""


def main() -> None:
    """Entry point of the `sohoa` console script."""
    app_for(sys.argv[1:])()
