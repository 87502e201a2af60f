"""With SOHOA_SEAL_DIGITIZED, every digitized copy carries the agency's verified seal signature."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from settings import Settings
from tests.conftest import BIRTH_FORM, save_scan
from tests.signing.testpki import P12_PASSPHRASE, LivePki
from tests.workers.test_end_to_end import json_lines, sohoa

pytestmark = pytest.mark.slow


def test_digitized_copy_is_sealed_and_verifies(settings: Settings, pki: LivePki, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    passphrase = tmp_path / "seal.pass"
    passphrase.write_bytes(P12_PASSPHRASE + b"\n")
    monkeypatch.setenv("SOHOA_SEAL_DIGITIZED", "true")
    monkeypatch.setenv("SOHOA_SEAL_P12", str(pki.p12("seal")))
    monkeypatch.setenv("SOHOA_SEAL_PASSPHRASE_FILE", str(passphrase))
    monkeypatch.setenv("SOHOA_TSA_URL", pki.tsa_url)
    monkeypatch.setenv("SOHOA_TRUST_ROOTS", json.dumps([str(pki.root_pem)]))
    scan = save_scan(tmp_path / "ho-so.png", [BIRTH_FORM])
    [done] = json_lines(sohoa("ingest", str(scan), "--json").stdout)
    shown = json_lines(sohoa("show", str(done["dossier_id"]), "--json").stdout)[0]
    copy = settings.objects / next(f["key"] for f in shown["files"] if f["role"] == "digitized")
    verdict = sohoa("verify", str(copy), "--json", check=False)
    report = json.loads(verdict.stdout)
    assert verdict.returncode == 0, report
    assert len(report["signatures"]) == 1
    stamp = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(copy), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert "Sao y từ văn bản giấy sang văn bản điện tử" in stamp
    assert "TỜ KHAI ĐĂNG KÝ KHAI SINH" in stamp.upper()  # the OCR text layer survives the seal
