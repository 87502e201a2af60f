"""A result goes through its signer chain: official on a token, then the clerk's seal, then returned.

Real parts only: certomancer's animator as TSA/OCSP/CRL, SoftHSM2 tokens, the real `sohoa` command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from settings import Settings
from tests.conftest import BIRTH_FORM, save_scan
from tests.signing.testpki import TOKEN_PIN, LivePki
from workers.results import assign, inbox, receive_result
from workers.services import Services

pytestmark = pytest.mark.slow


def sohoa(*args: str, pin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sohoa", *args], capture_output=True, text=True, timeout=300,
                          input=f"{pin}\n" if pin is not None else None, env=os.environ.copy())


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@pytest.fixture
def filed_dossier(settings: Settings, pki: LivePki, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> int:
    """A birth registration dossier, filed, whose chain is commune leader then clerk (catalog signers)."""
    monkeypatch.setenv("SOHOA_TSA_URL", pki.tsa_url)
    monkeypatch.setenv("SOHOA_TRUST_ROOTS", json.dumps([str(pki.root_pem)]))
    register = Services(Settings()).register
    dossier = register.create_dossier(fingerprint="f" * 64, source_name="ho-so.pdf", agency="H00",
                                      code="H57.132-260804-0583", station=None, actor="test")
    register.update(dossier.id, procedure_id="1.001193", procedure_source="reviewer", state="digitized")
    return dossier.id


def test_official_then_seal_then_returned(filed_dossier: int, tmp_path: Path, pki: LivePki) -> None:
    assert sohoa("signers", "assign", "lanh_dao_ubnd_xa", "chu-tich").returncode == 0
    assert sohoa("signers", "assign", "van_thu", "van-thu").returncode == 0
    result = save_scan(tmp_path / "ket-qua.pdf", [BIRTH_FORM], dpi=100)
    added = sohoa("result", "add", "H57.132-260804-0583", str(result), "--json")
    assert added.returncode == 0, added.stderr
    official, seal = lines(added.stdout)
    assert (official["role"], seal["role"]) == ("lanh_dao_ubnd_xa", "van_thu")

    assert lines(sohoa("sign", "inbox", "--as", "van-thu", "--json").stdout) == []
    early = sohoa("sign", str(seal["task"]), "--as", "van-thu", "--token", "seal", "--pin-fd", "0", pin=TOKEN_PIN)
    assert early.returncode == 1 and "must wait" in early.stderr

    wrong = sohoa("sign", str(official["task"]), "--as", "chu-tich", "--token", "official", "--pin-fd", "0",
                  pin="000000")
    assert wrong.returncode == 1 and "000000" not in wrong.stdout + wrong.stderr

    inbox = lines(sohoa("sign", "inbox", "--as", "chu-tich", "--json").stdout)
    assert [t["task"] for t in inbox] == [official["task"]]
    first = sohoa("sign", str(official["task"]), "--as", "chu-tich", "--token", "official", "--pin-fd", "0",
                  "--title", "KT. CHỦ TỊCH", "--json", pin=TOKEN_PIN)
    assert first.returncode == 0, first.stderr
    assert lines(first.stdout)[0]["ok"] is True

    second = sohoa("sign", str(seal["task"]), "--as", "van-thu", "--token", "seal", "--pin-fd", "0", "--json",
                   pin=TOKEN_PIN)
    assert second.returncode == 0, second.stderr

    shown = lines(sohoa("show", str(filed_dossier), "--json").stdout)[0]
    assert shown["legal_status"] == 9  # Đã xử lý xong
    signed = [f for f in shown["files"] if f["role"] == "signed_result"]
    assert len(signed) == 2
    final = Path(os.environ["SOHOA_HOME"]) / "objects" / signed[-1]["key"]
    verdict = sohoa("verify", str(final), "--trust", str(pki.root_pem), "--json")
    assert verdict.returncode == 0, verdict.stdout
    report = json.loads(verdict.stdout)
    assert [s["signer"] for s in report["signatures"]] != [] and len(report["signatures"]) == 2

    assert sohoa("return", str(filed_dossier)).returncode == 0
    assert lines(sohoa("show", str(filed_dossier), "--json").stdout)[0]["legal_status"] == 10


def test_unreadable_result_is_refused(filed_dossier: int, tmp_path: Path) -> None:
    sohoa("signers", "assign", "lanh_dao_ubnd_xa", "chu-tich")
    sohoa("signers", "assign", "van_thu", "van-thu")
    (tmp_path / "empty.pdf").write_bytes(b"")
    refused = sohoa("result", "add", str(filed_dossier), str(tmp_path / "empty.pdf"))
    assert refused.returncode == 1 and "empty" in refused.stderr


def test_results_folder_attaches_by_code_and_quarantines_the_rest(filed_dossier: int, settings: Settings) -> None:
    services = Services(Settings())
    assign("lanh_dao_ubnd_xa", "chu-tich", services, "test")
    assign("van_thu", "van-thu", services, "test")
    drop = Settings().results_inbox
    good = save_scan(drop / "H57.132-260804-0583.pdf", [BIRTH_FORM], dpi=100)
    stray = save_scan(drop / "H00-990101-0001.pdf", [BIRTH_FORM], dpi=100)
    assert receive_result(good, services) == filed_dossier
    assert [t.role for t in inbox(services)] == ["lanh_dao_ubnd_xa"]
    assert receive_result(stray, services) is None
    reason = (Settings().quarantine / "H00-990101-0001.pdf.reason.txt").read_text(encoding="utf-8")
    assert "no dossier has the code 'H00-990101-0001'" in reason
    assert list(drop.iterdir()) == []
