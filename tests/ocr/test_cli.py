"""`sohoa ocr --text-dir`: the contract outside scorers rely on."""

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from sohoa.cli.ocr import register
from tests.ocr.scans import PROSE, degrade, render, save


def test_text_dir_contract_and_json_lines(tmp_path: Path):
    app = typer.Typer()
    register(app)
    app.callback()(lambda: None)
    folder = tmp_path / "scan-0007"
    folder.mkdir()
    save(degrade(render(PROSE[:2])), folder / "page-001.jpg")
    save(degrade(render([])), folder / "page-002.jpg")
    out = tmp_path / "texts"
    result = CliRunner().invoke(app, ["ocr", str(folder), "--text-dir", str(out), "--json", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["scan-0007.p001.txt", "scan-0007.p002.txt"]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in (out / "scan-0007.p001.txt").read_text(encoding="utf-8")
    assert (out / "scan-0007.p002.txt").read_text(encoding="utf-8").strip() == ""
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert {(d["page"], d["blank"]) for d in lines} == {(1, False), (2, True)}
    assert all(d["seconds"] > 0 and "confidence" in d for d in lines)


def test_a_file_that_cannot_be_read_is_reported_and_the_others_are_written(tmp_path: Path):
    app = typer.Typer()
    register(app)
    app.callback()(lambda: None)
    broken = tmp_path / "hong.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj <<")  # cut off mid-object
    good = save(degrade(render(PROSE[:2])), tmp_path / "tot.jpg")
    out = tmp_path / "texts"
    result = CliRunner().invoke(app, ["ocr", str(broken), str(good), "--text-dir", str(out), "--json"])
    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == ["tot.p001.txt"]
    errors = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"file": "hong"')]
    assert errors and errors[0]["error"]
    assert "1 of 2 could not be read" in result.output
