"""Checking a PDF against PDF/A-2b with pikepdf's validator (an allow-list of the ISO 19005-2 rules).

veraPDF, the reference validator, is neither in Debian nor on PyPI; pikepdf's `pikepdf.pdfa` checks
the written bytes against veraPDF's rule ids and approves only constructs it knows to be valid, which
is what OCRmyPDF relies on in veraPDF's place. A construct it cannot judge is reported too: an
archive copy must be known good, not merely not known bad.
"""

from __future__ import annotations

from pathlib import Path

from pikepdf.pdfa import validate_written

FLAVOUR = "2b"


def pdfa_problems(path: Path) -> list[str]:
    """Every reason the file is not approved as PDF/A-2b, in words; an empty list when it is."""
    report = validate_written(path, FLAVOUR)
    if report.passed:
        return []
    return [f"{f.rule} ({f.kind}) at {f.where}: {f.message}" for f in report.findings]
