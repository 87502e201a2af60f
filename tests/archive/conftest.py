"""Dossiers digitized through the real pipeline, one with a result signed on SoftHSM2 tokens, for export.

Built once for the module (OCR and signing take a while): a folder of page images, a PDF named by its
dossier code, a multi-page TIFF; the PDF's dossier then gets a result signed by the commune leader
and sealed by the clerk, as tests/workers/test_results.py does it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import BIRTH_FORM, MARRIAGE_FORM, save_scan
from tests.signing.conftest import pki, tokens  # noqa: F401  (session fixtures shared with tests/signing)
from tests.signing.testpki import P12_PASSPHRASE, TOKEN_PIN, LivePki

CODE = "H57.132-260804-0583"
SLIP = ["GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Mã số hồ sơ: H00-260805-0001",
        "Tiếp nhận hồ sơ của ông/bà: TRẦN VĂN PHÚC"]


def sohoa(*args: str, pin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    run = subprocess.run([sys.executable, "-m", "sohoa", *args], capture_output=True, text=True, timeout=600,
                         input=f"{pin}\n" if pin is not None else None, env=os.environ.copy())
    if check:
        assert run.returncode == 0, f"sohoa {' '.join(args)}: {run.stdout}\n{run.stderr}"
    return run


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@dataclass(frozen=True)
class Dossiers:
    home: Path
    folder: int
    pdf: int
    tiff: int
    root_pem: Path

    @property
    def all(self) -> list[int]:
        return [self.folder, self.pdf, self.tiff]


@pytest.fixture(scope="module")
def dossiers(tmp_path_factory: pytest.TempPathFactory, pki: LivePki, tokens: dict[str, str]) -> Iterator[Dossiers]:  # noqa: F811
    base = tmp_path_factory.mktemp("archive")
    patch = pytest.MonkeyPatch()
    patch.setenv("SOHOA_HOME", str(base / "var"))
    patch.setenv("SOHOA_OCR_JOBS", "2")
    patch.setenv("SOHOA_TSA_URL", pki.tsa_url)
    patch.setenv("SOHOA_TRUST_ROOTS", json.dumps([str(pki.root_pem)]))
    inbox = base / "scans"
    folder = inbox / "ho-so-ket-hon"
    save_scan(folder / "trang-1.jpg", [MARRIAGE_FORM], dpi=150)
    save_scan(folder / "trang-2.png", [SLIP], dpi=150)
    pdf = save_scan(inbox / f"{CODE}.pdf", [BIRTH_FORM], dpi=150)
    tiff = save_scan(inbox / "khai-sinh.tif", [BIRTH_FORM, ["Giấy chứng sinh", "Họ tên mẹ: NGUYỄN THỊ AN"]], dpi=150)
    ingested = json_lines(sohoa("ingest", str(folder), str(pdf), "--json", check=False).stdout)
    passphrase = base / "seal.pass"
    passphrase.write_bytes(P12_PASSPHRASE + b"\n")
    with pytest.MonkeyPatch.context() as sealed:
        sealed.setenv("SOHOA_SEAL_DIGITIZED", "true")
        sealed.setenv("SOHOA_SEAL_P12", str(pki.p12("seal")))
        sealed.setenv("SOHOA_SEAL_PASSPHRASE_FILE", str(passphrase))
        ingested += json_lines(sohoa("ingest", str(tiff), "--json", check=False).stdout)
    ids = {Path(r["path"]).name: r["dossier_id"] for r in ingested}
    assert len(ids) == 3 and all(r["state"] in ("digitized", "needs_review") for r in ingested), ingested
    signed = ids[pdf.name]
    sohoa("review", str(signed), "--procedure", "1.001193")
    sohoa("signers", "assign", "lanh_dao_ubnd_xa", "chu-tich")
    sohoa("signers", "assign", "van_thu", "van-thu")
    result = save_scan(base / "ket-qua.pdf", [["GIẤY KHAI SINH", "Họ, chữ đệm, tên: NGUYỄN THỊ ĐOAN TRANG"]], dpi=100)
    official, seal = json_lines(sohoa("result", "add", CODE, str(result), "--json").stdout)
    sohoa("sign", str(official["task"]), "--as", "chu-tich", "--token", "official", "--pin-fd", "0",
          "--title", "KT. CHỦ TỊCH", pin=TOKEN_PIN)
    sohoa("sign", str(seal["task"]), "--as", "van-thu", "--token", "seal", "--pin-fd", "0", pin=TOKEN_PIN)
    yield Dossiers(base / "var", ids[folder.name], signed, ids[tiff.name], pki.root_pem)
    patch.undo()
