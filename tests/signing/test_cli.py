"""`sohoa verify` and `sohoa sign-file`: exit codes, JSON, and PINs that never touch argv."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sohoa.cli.signing import register
from tests.signing.conftest import signed_by
from tests.signing.testpki import P12_PASSPHRASE, TOKEN_PIN, LivePki


@pytest.fixture
def cli(pki: LivePki, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> typer.Typer:
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_TSA_URL", pki.tsa_url)
    monkeypatch.setenv("SOHOA_TRUST_ROOTS", json.dumps([str(pki.root_pem)]))
    app = typer.Typer()
    register(app)
    return app


def _pin_fd(secret: bytes) -> int:
    read, write = os.pipe()
    os.write(write, secret + b"\n")
    os.close(write)
    return read


def test_verify_exit_codes(cli: typer.Typer, pki: LivePki, result_pdf: bytes, tmp_path: Path) -> None:
    good, unsigned, broken = tmp_path / "good.pdf", tmp_path / "unsigned.pdf", tmp_path / "broken.pdf"
    good.write_bytes(signed_by(pki, "official", result_pdf))
    unsigned.write_bytes(result_pdf)
    broken.write_bytes(b"%PDF-1.7\n garbage")
    runner = CliRunner()
    result = runner.invoke(cli, ["verify", str(good), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["signatures"][0]["signer"] == "Nguyễn Văn An"
    assert runner.invoke(cli, ["verify", str(unsigned)]).exit_code == 1
    assert runner.invoke(cli, ["verify", str(broken)]).exit_code == 2
    assert runner.invoke(cli, ["verify", str(tmp_path / "missing.pdf")]).exit_code == 2


def test_sign_file_with_p12_and_pin_fd(cli: typer.Typer, pki: LivePki, result_pdf: bytes, tmp_path: Path) -> None:
    source, out = tmp_path / "ket-qua.pdf", tmp_path / "signed.pdf"
    source.write_bytes(result_pdf)
    fd = _pin_fd(P12_PASSPHRASE)
    result = CliRunner().invoke(cli, ["sign-file", str(source), "--out", str(out), "--p12", str(pki.p12("official")),
                                      "--pin-fd", str(fd), "--title", "CHỦ TỊCH", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert P12_PASSPHRASE.decode() not in result.output
    line = json.loads(result.output)
    assert line["verified"] and line["level"] == "B-T"
    assert CliRunner().invoke(cli, ["verify", str(out)]).exit_code == 0


def test_sign_file_batch_with_token_and_one_pin(cli: typer.Typer, pki: LivePki, tokens, result_pdf: bytes,
                                                 tmp_path: Path) -> None:
    sources = []
    for n in range(3):
        sources.append(tmp_path / f"ket-qua-{n}.pdf")
        sources[-1].write_bytes(result_pdf)
    fd = _pin_fd(TOKEN_PIN.encode())
    result = CliRunner().invoke(cli, ["sign-file", *map(str, sources), "--out", str(tmp_path / "signed"),
                                      "--token", "official", "--pin-fd", str(fd)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "signed").iterdir()) == [p.name for p in sources]


def test_sign_file_wrong_pin_fails_cleanly(cli: typer.Typer, pki: LivePki, tokens, result_pdf: bytes,
                                          tmp_path: Path) -> None:
    source = tmp_path / "ket-qua.pdf"
    source.write_bytes(result_pdf)
    result = CliRunner().invoke(cli, ["sign-file", str(source), "--out", str(tmp_path / "o.pdf"), "--token", "official",
                                      "--pin-fd", str(_pin_fd(b"999999"))])
    assert result.exit_code == 1
    assert "refused the PIN" in result.output and "999999" not in result.output
    assert not (tmp_path / "o.pdf").exists()
