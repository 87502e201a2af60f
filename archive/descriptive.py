"""Descriptive metadata of a dossier as Nghị định 30/2020/NĐ-CP, Phụ lục VI lists it.

One element per field of the decree (dossier: FileCode ... PageTotal; document: DocOrdinal ... Signer),
in the namespace described by the schema shipped in every package (`schemas/ho-so-nd30.xsd`), so an
archive that knows the decree maps it without guessing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from archive.facts import DossierFacts
from archive.xml import HOSO, day, q, sub, to_bytes

MDTYPE = "OTHER"
OTHERMDTYPE = "ND30-2020-PL-VI"
FILE_NAME = "ho-so.xml"
SCHEMA_NAME = "ho-so-nd30.xsd"


def descriptive_xml(facts: DossierFacts, document_paths: dict[int, str]) -> bytes:
    """The dossier's metadata; `document_paths` maps each document's ordinal to its path in the package."""
    root = ET.Element(q(HOSO, "Dossier"))
    for name, value in (("FileCode", facts.file_code), ("Title", facts.title), ("Maintenance", facts.maintenance),
                        ("Rights", facts.rights), ("Creator", facts.creator), ("Language", facts.language),
                        ("StartDate", day(facts.start_date)), ("EndDate", day(facts.end_date)),
                        ("DocTotal", str(len(facts.documents))),
                        ("PageTotal", str(sum(d.pages for d in facts.documents))),
                        ("Description", facts.description)):
        sub(root, q(HOSO, name), value)
    for document in facts.documents:
        element = sub(root, q(HOSO, "Document"))
        for name, value in (("DocOrdinal", f"{document.ordinal:02d}"), ("TypeName", document.type_name),
                            ("CodeNumber", document.code_number), ("CodeNotation", document.code_notation),
                            ("IssuedDate", day(document.issued)), ("OrganName", document.organ),
                            ("Subject", document.subject), ("PageAmount", str(document.pages))):
            sub(element, q(HOSO, name), value)
        for signer in document.signers:
            sub(element, q(HOSO, "Signer"), signer)
        sub(element, q(HOSO, "FilePath"), document_paths[document.ordinal])
    return to_bytes(root)
