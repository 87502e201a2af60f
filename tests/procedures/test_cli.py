"""`sohoa procedures ...` and `sohoa classify --json` as scripts and clerks use them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sohoa.cli.procedures import register
from tests.procedures.conftest import ID_CARD, form


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SOHOA_CATALOG_FILE", raising=False)
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def test_import_then_list_and_show(run, tmp_path: Path) -> None:
    export = tmp_path / "tthc.csv"
    export.write_text("code,name,field,days\n2.001023,Đăng ký hoạt động tín ngưỡng,Tín ngưỡng,30\n", encoding="utf-8")
    first = run("procedures", "import", export, "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["added"] == 1
    assert (tmp_path / "home" / "catalog.yaml").exists()
    assert json.loads(run("procedures", "import", export, "--json").output)["added"] == 0
    listed = run("procedures", "list", "--field", "tin nguong", "--json").output.splitlines()
    listed = [json.loads(line) for line in listed]
    assert [p["id"] for p in listed] == ["2.001023"]
    shown = json.loads(run("procedures", "show", "2.001023", "--json").output)
    assert shown["days"] == 30
    assert run("procedures", "show", "no-such-id").exit_code == 1


def test_bad_import_names_lines_and_keeps_the_catalog(run, tmp_path: Path) -> None:
    export = tmp_path / "bad.csv"
    export.write_text("code,name,days\n1.1,Một,1\n1.2,,2\n", encoding="utf-8")
    result = run("procedures", "import", export)
    assert result.exit_code == 1
    assert "bad.csv:3" in result.output
    assert not (tmp_path / "home" / "catalog.yaml").exists()


def test_classify_json_contract(run, tmp_path: Path) -> None:
    dossier = tmp_path / "scan-0001"
    dossier.mkdir()
    (dossier / "p1.txt").write_text(ID_CARD, encoding="utf-8")
    (dossier / "p2.txt").write_text(form("TỜ KHAI ĐĂNG KÝ KẾT HÔN", "Họ, chữ đệm, tên: Lê Văn Tám\n"), encoding="utf-8")
    single = tmp_path / "news.txt"
    single.write_text("Tin tức\fTrang hai của bài báo", encoding="utf-8")
    result = run("classify", dossier, single, "--json")
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    contract = {"path", "procedure", "confidence", "needs_review", "top3", "evidence"}
    assert [set(line) for line in lines] == [contract, contract]
    assert lines[0]["path"] == str(dossier) and lines[0]["procedure"] == "1.000894"
    assert lines[0]["evidence"][0]["page"] == 2
    assert lines[1]["procedure"] is None and lines[1]["needs_review"] is True
