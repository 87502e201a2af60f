"""Checking a PDF against the PDF/A-2b rules that sohoa's own writer could break.

veraPDF, the reference validator, cannot be installed here (not in Debian or PyPI). This checks,
with pikepdf, the requirements a two-layer scan can violate, and says which one failed:
XMP metadata claiming PDF/A-2B and matching the document info; an output intent with an embedded
ICC profile whose colour components match; every font embedded (Type0 descendants included);
no encryption, JavaScript, launch actions, embedded files, transparency or LZW; a file ID.
It is a guard against regressions in our writer, not a certificate of conformance.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf

_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def pdfa_problems(path: Path) -> list[str]:
    """Every PDF/A-2b rule the file breaks, in words; an empty list when none was found."""
    problems: list[str] = []
    with pikepdf.open(path) as pdf:
        if pdf.is_encrypted:
            problems.append("the file is encrypted")
        if "/ID" not in pdf.trailer:
            problems.append("the trailer has no file /ID")
        problems += _metadata_problems(pdf)
        problems += _output_intent_problems(pdf)
        names = pdf.Root.get("/Names", pikepdf.Dictionary())
        if "/JavaScript" in names or "/EmbeddedFiles" in names or "/OpenAction" in pdf.Root:
            problems.append("the document carries JavaScript, embedded files or an open action")
        for number, page in enumerate(pdf.pages, start=1):
            problems += [f"page {number}: {p}" for p in _page_problems(page)]
    return problems


def _metadata_problems(pdf: pikepdf.Pdf) -> list[str]:
    if "/Metadata" not in pdf.Root:
        return ["no XMP metadata stream"]
    meta = pdf.open_metadata()
    problems = []
    if meta.get("pdfaid:part") != "2" or meta.get("pdfaid:conformance") != "B":
        problems.append("XMP does not claim PDF/A-2B (pdfaid:part/conformance)")
    title = str(pdf.docinfo.get("/Title", "")) if pdf.trailer.get("/Info") is not None else ""
    if title and title != meta.get("dc:title"):
        problems.append("document info /Title differs from XMP dc:title")
    return problems


def _output_intent_problems(pdf: pikepdf.Pdf) -> list[str]:
    intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFA1"]
    if not intents:
        return ["no GTS_PDFA1 output intent"]
    profile = intents[0].get("/DestOutputProfile")
    if profile is None or int(profile.get("/N", 0)) not in (1, 3, 4):
        return ["the output intent has no valid ICC profile"]
    return []


def _page_problems(page: pikepdf.Page) -> list[str]:
    problems = []
    if "/Group" in page.obj and page.obj.Group.get("/S") == "/Transparency":
        problems.append("transparency group")
    seen: set[tuple[int, int]] = set()
    problems += _resource_problems(page.obj.get("/Resources", pikepdf.Dictionary()), seen)
    return problems


def _resource_problems(resources: pikepdf.Object, seen: set[tuple[int, int]]) -> list[str]:
    problems = []
    for font in resources.get("/Font", {}).values():
        problems += _font_problems(font)
    for xobject in resources.get("/XObject", {}).values():
        if xobject.objgen in seen:
            continue
        seen.add(xobject.objgen)
        given = xobject.get("/Filter", pikepdf.Array())
        filters = [given] if isinstance(given, pikepdf.Name) else list(given)
        if "/LZWDecode" in filters:
            problems.append("LZW-compressed stream")
        if xobject.get("/Subtype") == "/Image" and ("/SMask" in xobject or xobject.get("/Interpolate", False)):
            problems.append("image with soft mask or interpolation")
        if xobject.get("/Subtype") == "/Form":
            if "/Group" in xobject and xobject.Group.get("/S") == "/Transparency":
                problems.append("transparency group in a form")
            problems += _resource_problems(xobject.get("/Resources", pikepdf.Dictionary()), seen)
    return problems


def _font_problems(font: pikepdf.Object) -> list[str]:
    if font.get("/Subtype") == "/Type0":
        return [p for d in font.get("/DescendantFonts", []) for p in _font_problems(d)]
    if font.get("/Subtype") == "/Type3":
        return []
    descriptor = font.get("/FontDescriptor")
    if descriptor is None or not any(key in descriptor for key in _FONT_FILES):
        return [f"font {font.get('/BaseFont', '?')} is not embedded"]
    return []
