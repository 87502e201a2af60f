"""Reads of dossiers at the terminal are audit rows, as the web's are; the console's clock is Vietnam's."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime

import pytest
import typer
from typer.testing import CliRunner

from settings import Settings
from sohoa.cli import dossiers, review
from sohoa.cli.output import VietnamFormatter, console
from sohoa.timezone import VIETNAM
from storage.audit import Audit
from storage.vocabulary import DossierState
from workers.services import Services


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    dossiers.register(app)
    review.register(app)
    return app


def test_show_and_search_at_the_terminal_are_audited(settings: Settings, cli: typer.Typer) -> None:
    register = Services(settings).register  # makes the home
    dossier = register.create_dossier(fingerprint="fp-1", source_name="ket-hon.pdf", agency="H39.01",
                                      code="H39.01-260105-0001", station=None, actor="test")
    register.index_dossier(dossier.id, [(1, "TỜ KHAI ĐĂNG KÝ KẾT HÔN Nguyễn Văn An")])
    runner = CliRunner()
    shown = runner.invoke(cli, ["show", "H39.01-260105-0001", "--json"])
    assert shown.exit_code == 0, shown.output
    found = runner.invoke(cli, ["search", "ket hon", "--json"])
    assert found.exit_code == 0 and json.loads(found.output.splitlines()[0])["dossier_id"] == dossier.id
    nothing = runner.invoke(cli, ["search", "khai tu", "--json"])
    assert nothing.exit_code == 0
    register.update(dossier.id, state=DossierState.NEEDS_REVIEW)
    listed = runner.invoke(cli, ["review", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output)["dossier_id"] == dossier.id
    audit = Audit(register)
    rows = list(audit.rows())
    assert [(r["action"], r["dossiers"], r["role"], r["agency"]) for r in rows] == [
        ("view", [dossier.id], "cli", "*"), ("search", [dossier.id], "cli", "*"), ("search", [], "cli", "*"),
        ("view", [dossier.id], "cli", "*")]
    assert all(r["actor"].startswith("cli:") for r in rows)
    assert rows[1]["detail"]["query"] == "ket hon" and rows[0]["detail"]["via"] == "cli show"
    assert audit.verify().ok and audit.verify().rows == 4


def test_console_and_log_lines_show_vietnam_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")  # the machine's zone is not Vietnam's (servers run in UTC)
    time.tzset()
    try:
        before = datetime.now(VIETNAM).replace(microsecond=0)
        with console.capture() as captured:
            console.log("digitized #1")
        stamp = captured.get().split("]")[0].strip("[ ")
        shown = datetime.combine(before.date(), datetime.strptime(stamp, "%H:%M:%S").time(), VIETNAM)
        late = (shown - before).total_seconds() % 86400  # the stamp in the machine's zone would be 7 h off
        assert late <= 2, f"console stamped {stamp}, Vietnam time was {before:%H:%M:%S}"
        record = logging.LogRecord("sohoa", logging.WARNING, __file__, 1, "disk full", None, None)
        line = VietnamFormatter("%(asctime)s %(message)s").format(record)
        expected = datetime.fromtimestamp(record.created, VIETNAM)
        assert line == f"{expected:%Y-%m-%d %H:%M:%S}+0700 disk full"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
