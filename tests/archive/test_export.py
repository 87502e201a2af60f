"""Dossiers digitized and signed through the real pipeline become E-ARK SIPs the reference validators accept.

Real parts only: `sohoa ingest` (Tesseract), SoftHSM2 tokens with certomancer's TSA/OCSP, the real
`sohoa archive` command, E-ARK's commons-ip on the JRE and the DILCIS board's eark-validator.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from settings import Settings
from storage.register import Register
from tests.archive.conftest import CODE, Dossiers, json_lines, sohoa
from tests.archive.validators import (
    EARK_CONFLICTS,
    EARK_CONFLICTS_2_1,
    commons_ip,
    eark_errors,
    eark_validator,
    failed_musts,
)

pytestmark = pytest.mark.slow

HOSO = "{urn:sohoa:xml:nd30-2020:phu-luc-vi:1}"
PREMIS = "{http://www.loc.gov/premis/v3}"


def export(out: Path, *refs: str, zip_: bool = False) -> list[dict]:
    flags = ["--zip"] if zip_ else []
    return json_lines(sohoa("archive", "export", *refs, "--out", str(out), "--json", *flags).stdout)


def assert_valid(package: Path, version: str = "2.0.4") -> None:
    report = commons_ip(package, version)
    summary = report["summary"]
    assert summary["result"] == "VALID" and summary["errors"] == 0 and summary["warnings"] == 0, failed_musts(report)
    allowed = EARK_CONFLICTS if version == "2.0.4" else EARK_CONFLICTS_2_1
    eark = eark_validator(package, version)
    assert eark["structure"]["status"] == "WellFormed" and eark["metadata"]["schema_results"]["status"] == "VALID"
    errors = eark_errors(eark)
    assert {rule for rule, _ in errors} <= allowed, errors


def test_every_kind_of_dossier_passes_both_reference_validators(dossiers: Dossiers, tmp_path: Path) -> None:
    folders = export(tmp_path / "folders", *map(str, dossiers.all))
    assert [r["outcome"] for r in folders] == ["written"] * 3, folders
    for result in folders:
        assert_valid(Path(result["package"]))
    zipped = export(tmp_path / "zips", str(dossiers.pdf), zip_=True)[0]
    assert zipped["package"].endswith(f"{CODE}.zip")
    assert_valid(Path(zipped["package"]))
    with zipfile.ZipFile(zipped["package"]) as z:
        assert {n.split("/")[0] for n in z.namelist()} == {CODE}  # one root folder named by the OBJID


def test_csip_2_1_is_a_setting(dossiers: Dossiers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_ARCHIVE_CSIP_VERSION", "2.1.0")
    package = Path(export(tmp_path, str(dossiers.tiff))[0]["package"])
    assert_valid(package, "2.1.0")


def test_the_signed_dossier_carries_its_metadata_history_and_files(dossiers: Dossiers, tmp_path: Path) -> None:
    package = Path(export(tmp_path, CODE)[0]["package"])
    assert package.name == CODE
    data = package / "representations/rep2/data"
    assert (data / f"{CODE}.01.pdf").is_file() and (data / f"{CODE}.02.pdf").is_file()
    register = Register(Settings().register_url)
    assert register.events(action="pdfa_invalid") == []  # the pipeline's own PDF/A check passed every copy
    original = register.files(dossiers.pdf, "original")[0]
    assert (package / "representations/rep1/data" / original.name).read_bytes()[:4] == b"%PDF"
    mets = (package / "representations/rep1/METS.xml").read_text(encoding="utf-8")
    assert f'CHECKSUM="{original.sha256.upper()}"' in mets and 'CHECKSUMTYPE="SHA-256"' in mets

    dossier = ET.parse(package / "metadata/descriptive/ho-so.xml").getroot()
    field = {e.tag.removeprefix(HOSO): e.text for e in dossier if e.tag != f"{HOSO}Document"}
    assert field["FileCode"] == CODE and field["Language"] == "Tiếng Việt" and field["DocTotal"] == "2"
    assert "khai sinh" in field["Title"].lower() and field["Maintenance"] and field["Rights"]
    assert int(field["PageTotal"]) == 2 and field["StartDate"] <= field["EndDate"]
    documents = dossier.findall(f"{HOSO}Document")
    assert [d.findtext(f"{HOSO}DocOrdinal") for d in documents] == ["01", "02"]
    signers = [s.text for s in documents[1].findall(f"{HOSO}Signer")]
    assert len(signers) == 2 and all(signers), signers  # the official, then the clerk's seal

    premis = ET.parse(package / "metadata/preservation/premis.xml").getroot()
    types = [e.findtext(f"{PREMIS}eventType") for e in premis.iter(f"{PREMIS}event")]
    for expected in ("ingestion", "creation", "metadata extraction", "digital signature generation",
                     "digital signature validation"):
        assert expected in types, types
    ingestion = next(e for e in premis.iter(f"{PREMIS}event") if e.findtext(f"{PREMIS}eventType") == "ingestion")
    assert original.sha256 in "".join(ingestion.itertext())
    assert {a.findtext(f"{PREMIS}agentType") for a in premis.iter(f"{PREMIS}agent")} >= {"software", "person",
                                                                                         "organization"}

    checked = json_lines(sohoa("archive", "verify", str(package), "--trust", str(dossiers.root_pem),
                               "--json").stdout)[0]
    assert checked["ok"], checked
    assert any("PDF/A-2b" in c for c in checked["checked"])
    assert any("2 signature(s)" in c for c in checked["checked"])


def test_a_sealed_copy_verifies_as_pdfa_under_its_seal(dossiers: Dossiers, tmp_path: Path) -> None:
    package = Path(export(tmp_path, str(dossiers.tiff))[0]["package"])
    checked = json_lines(sohoa("archive", "verify", str(package), "--trust", str(dossiers.root_pem),
                               "--json").stdout)[0]
    assert checked["ok"], checked
    copy = f"representations/rep2/data/{package.name}.01.pdf"
    assert f"{copy}: PDF/A-2b (the revision the seal signs)" in checked["checked"]
    assert f"{copy}: 1 signature(s)" in checked["checked"]


def test_export_resumes_and_redoes_a_damaged_package(dossiers: Dossiers, tmp_path: Path) -> None:
    refs = list(map(str, dossiers.all))
    first = export(tmp_path, *refs)
    assert [r["outcome"] for r in first] == ["written"] * 3
    again = export(tmp_path, *refs)
    assert [r["outcome"] for r in again] == ["skipped"] * 3
    damaged = Path(first[2]["package"]) / "representations/rep1/data"
    target = next(damaged.iterdir())
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    third = export(tmp_path, *refs)
    assert [r["outcome"] for r in third] == ["skipped", "skipped", "redone"]
    assert sohoa("archive", "verify", third[2]["package"], check=False).returncode == 0


@pytest.mark.parametrize("as_zip", [False, True])
def test_verify_finds_a_changed_byte(dossiers: Dossiers, tmp_path: Path, as_zip: bool) -> None:
    package = Path(export(tmp_path, str(dossiers.folder), zip_=as_zip)[0]["package"])
    assert sohoa("archive", "verify", str(package), check=False).returncode == 0
    if as_zip:
        unpacked = tmp_path / "unpacked"
        with zipfile.ZipFile(package) as z:
            z.extractall(unpacked)
        folder = next(unpacked.iterdir())
    else:
        folder = package
    scan = next((folder / "representations/rep1/data").iterdir())
    data = bytearray(scan.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte in the middle of the scan
    scan.write_bytes(bytes(data))
    if as_zip:
        package.unlink()
        shutil.make_archive(str(package.with_suffix("")), "zip", unpacked)
    verdict = sohoa("archive", "verify", str(package), "--json", check=False)
    assert verdict.returncode == 1
    problems = json_lines(verdict.stdout)[0]["problems"]
    assert problems == [f"representations/rep1/data/{scan.name}: SHA-256 differs from the METS (the file changed)"]


def test_export_is_logged_as_a_read_of_the_dossier(dossiers: Dossiers, tmp_path: Path) -> None:
    register = Register(Settings().register_url)
    before = len(register.events(dossiers.tiff, action="archive_exported"))
    export(tmp_path, str(dossiers.tiff))
    logged = register.events(dossiers.tiff, action="archive_exported")
    assert len(logged) == before + 1
    assert logged[-1].actor.startswith("cli:") and logged[-1].detail["package"].startswith("dossier-")


def test_bad_requests_get_a_clear_message(dossiers: Dossiers, tmp_path: Path) -> None:
    missing = sohoa("archive", "export", "H00-990101-0001", "--out", str(tmp_path), check=False)
    assert missing.returncode == 1 and "không có hồ sơ" in missing.stderr and "Traceback" not in missing.stderr
    bad_date = sohoa("archive", "export", "--from", "04/08/2026", "--to", "2026-08-05", "--out", str(tmp_path),
                     check=False)
    assert bad_date.returncode == 1 and "YYYY-MM-DD" in bad_date.stderr
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    verdict = sohoa("archive", "verify", str(junk), check=False)
    assert verdict.returncode == 1 and "Traceback" not in verdict.stderr + verdict.stdout
