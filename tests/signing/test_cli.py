"""`sohoa verify` and `sohoa sign-file`: exit codes, JSON, and PINs that never touch argv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sohoa.cli.signing import register
from tests.signing import attacks
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


def test_verify_says_why_in_both_languages(cli: typer.Typer, pki: LivePki, result_pdf: bytes, tmp_path: Path) -> None:
    expired = tmp_path / "het-han.pdf"
    expired.write_bytes(attacks.sign_with(pki, "expired", result_pdf))
    result = CliRunner().invoke(cli, ["verify", str(expired)])
    assert result.exit_code == 1
    assert "Chứng thư của người ký đã hết hạn" in result.output
    assert "The signer's certificate has expired" in result.output
    assert "KHÔNG HỢP LỆ / NOT VALID" in result.output
    line = json.loads(CliRunner().invoke(cli, ["verify", str(expired), "--json"]).output)
    assert line["verdict"] == "invalid"
    assert [r["code"] for r in line["signatures"][0]["reasons"]] == ["certificate_expired"]


def test_verify_offline_without_validation_data_is_indeterminate(cli: typer.Typer, pki: LivePki, result_pdf: bytes,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "b-t.pdf"
    path.write_bytes(signed_by(pki, "official", result_pdf))
    result = CliRunner().invoke(cli, ["verify", str(path), "--offline"])
    assert result.exit_code == 3, result.output
    assert "CHƯA KẾT LUẬN ĐƯỢC / INDETERMINATE" in result.output
    assert "could not be checked" in result.output


@pytest.mark.slow
def test_crafted_files_never_print_a_traceback(pki: LivePki, result_pdf: bytes, tmp_path: Path) -> None:
    """The real command, in its own process, on files that crashed it or leaked pyHanko's logs."""
    signed = signed_by(pki, "official", result_pdf)
    cases = {"byte-range-null.pdf": (attacks.byte_range_null(signed), 1),
             "no-prev.pdf": (attacks.update_without_prev(signed), 2),
             "annotation.pdf": (attacks.add_annotation(signed), 1),
             "garbage.pdf": (b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer <<>>", 2)}
    env = {**os.environ, "SOHOA_HOME": str(tmp_path / "var"), "SOHOA_TRUST_ROOTS": json.dumps([str(pki.root_pem)])}
    for name, (data, code) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        run = subprocess.run([sys.executable, "-m", "sohoa", "verify", str(path)], capture_output=True, text=True,
                             env=env, timeout=120)
        assert run.returncode == code, (name, run.stdout, run.stderr)
        assert "Traceback" not in run.stderr + run.stdout, name


def test_sign_file_seal_with_digital_signature_only(cli: typer.Typer, pki: LivePki, result_pdf: bytes,
                                                    tmp_path: Path) -> None:
    source, out = tmp_path / "ban-sao.pdf", tmp_path / "sealed.pdf"
    source.write_bytes(result_pdf)
    assert pki.cert("seal").key_usage_value.native == {"digital_signature"}
    result = CliRunner().invoke(cli, ["sign-file", str(source), "--out", str(out), "--p12", str(pki.p12("seal")),
                                      "--pin-fd", str(_pin_fd(P12_PASSPHRASE)), "--copy", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verified"]


@pytest.mark.parametrize(("asked", "embedded", "stamped"), [(None, "B-T", True), ("B-B", "B-B", False),
                                                            ("B-LT", "B-LT", True)])
def test_sign_file_reports_the_level_it_embedded(cli: typer.Typer, pki: LivePki, result_pdf: bytes, tmp_path: Path,
                                                 asked: str | None, embedded: str, stamped: bool) -> None:
    """With a TSA configured, B-T is the default and B-B only when asked, and then really without timestamp."""
    source, out = tmp_path / "ket-qua.pdf", tmp_path / "signed.pdf"
    source.write_bytes(result_pdf)
    args = ["sign-file", str(source), "--out", str(out), "--p12", str(pki.p12("official")),
            "--pin-fd", str(_pin_fd(P12_PASSPHRASE)), "--json", *(["--level", asked] if asked else [])]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["level"] == embedded
    verified = json.loads(CliRunner().invoke(cli, ["verify", str(out), "--json"]).output)
    assert (verified["signatures"][0]["timestamp"] is not None) is stamped
