"""The METS documents of a package: the root `METS.xml` and one per representation.

Written to satisfy both reference validators, E-ARK's commons-ip and the DILCIS board's
eark-validator, which read CSIP 2.0.4 differently in three places:
- the header's CREATOR agents: commons-ip requires (SIP15-SIP20) a submitting agent, ROLE CREATOR of
  TYPE ORGANIZATION with one IDENTIFICATIONCODE note, beside the software agent; eark-validator 1.1.3
  wants every CREATOR agent to be OTHER/SOFTWARE with a SOFTWARE VERSION note (CSIP12-16), and its
  SIP14 asks every CREATOR note for an unprefixed @NOTETYPE that its own METS schema forbids. No
  header satisfies both: sohoa follows commons-ip (E-ARK's own validator), and eark-validator's
  complaints are exactly those four rules on the agents (tests/archive checks that nothing else is);
- a Documentation and a Schemas file group are always present (eark-validator makes them errors when
  missing, commons-ip only notes them), so every package carries a short guide and the schema of
  its descriptive metadata;
- the representation METS files are in one file group USE="Representations" and the structural map
  has one "Representations" division holding a division per representation (eark-validator's
  CSIP103/114; commons-ip accepts it), in 2.0.4 and 2.1 alike;
- in 2.1, commons-ip wants the SIP profile URL of that version (`E-ARK-SIP-v2-1-0.xml`), eark-validator
  the unversioned one (its SIP2): sohoa writes commons-ip's.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime

from archive.facts import CsipVersion
from archive.xml import CSIP, METS, XLINK, new_id, q, sub, timestamp, to_bytes

PROFILES = {CsipVersion.V2_0_4: "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml",
            CsipVersion.V2_1_0: "https://earksip.dilcis.eu/profile/E-ARK-SIP-v2-1-0.xml"}
CONTENT_CATEGORY = "Textual works – Digital"
CONTENT_INFORMATION_TYPE = "OTHER"
OTHER_CONTENT_INFORMATION_TYPE = "TT05-2025-BNV"  # Thông tư 05/2025/TT-BNV, the circular the package follows
CHECKSUM_TYPE = "SHA-256"


@dataclass(frozen=True)
class Entry:
    """A file a METS document points at; `href` is relative to that METS document."""

    href: str
    media_type: str
    size: int
    sha256: str
    created: datetime


@dataclass(frozen=True)
class Header:
    object_id: str
    label: str
    created: datetime
    software: str
    software_version: str
    version: CsipVersion
    submitter: str = ""
    submitter_code: str = ""


def representation_mets(header: Header, files: list[Entry], kind: str, preservation: Entry) -> bytes:
    """A representation's METS: its own PREMIS and its data files, each with size, date and SHA-256."""
    root = _root(header)
    amd = sub(root, q(METS, "amdSec"), ID=new_id())
    digiprov = sub(amd, q(METS, "digiprovMD"), ID=new_id(), STATUS="CURRENT")
    _md_ref(digiprov, preservation, MDTYPE="PREMIS")
    file_sec = sub(root, q(METS, "fileSec"), ID=new_id())
    group = sub(file_sec, q(METS, "fileGrp"), ID=new_id(), USE="Data")
    for entry in files:
        _file(group, entry)
    struct = sub(root, q(METS, "structMap"), ID=new_id(), TYPE="PHYSICAL", LABEL="CSIP")
    top = sub(struct, q(METS, "div"), ID=new_id(), TYPE=kind, LABEL=header.object_id)
    sub(top, q(METS, "div"), ID=new_id(), LABEL="Metadata", ADMID=digiprov.get("ID", ""))
    sub(sub(top, q(METS, "div"), ID=new_id(), LABEL="Data"), q(METS, "fptr"), FILEID=group.get("ID", ""))
    return to_bytes(root)


def root_mets(header: Header, *, descriptive: Entry, descriptive_type: tuple[str, str], preservation: Entry,
              documentation: list[Entry], schemas: list[Entry], representations: list[tuple[str, Entry]]) -> bytes:
    """The package's METS: metadata references, documentation, schemas and a pointer to each representation.

    `representations` pairs each representation's name (rep1, rep2) with its METS file.
    """
    root = _root(header)
    mdtype, othermdtype = descriptive_type
    dmd = sub(root, q(METS, "dmdSec"), ID=new_id(), CREATED=timestamp(descriptive.created), STATUS="CURRENT")
    _md_ref(dmd, descriptive, MDTYPE=mdtype, OTHERMDTYPE=othermdtype)
    amd = sub(root, q(METS, "amdSec"), ID=new_id())
    digiprov = sub(amd, q(METS, "digiprovMD"), ID=new_id(), STATUS="CURRENT")
    _md_ref(digiprov, preservation, MDTYPE="PREMIS")

    file_sec = sub(root, q(METS, "fileSec"), ID=new_id())
    content = {CSIP_CONTENT: CONTENT_INFORMATION_TYPE, CSIP_OTHER_CONTENT: OTHER_CONTENT_INFORMATION_TYPE}
    # eark-validator's 2.1 CSIP63 fails every file group without a content information type
    typed = content if header.version is CsipVersion.V2_1_0 else {}
    documentation_group = _group(file_sec, "Documentation", documentation, **typed)
    schema_group = _group(file_sec, "Schemas", schemas, **typed)
    shared = _group(file_sec, "Representations", [entry for _, entry in representations], **content)

    struct = sub(root, q(METS, "structMap"), ID=new_id(), TYPE="PHYSICAL", LABEL="CSIP")
    top = sub(struct, q(METS, "div"), ID=new_id(), LABEL=header.object_id)
    sub(top, q(METS, "div"), ID=new_id(), LABEL="Metadata", DMDID=dmd.get("ID", ""), ADMID=digiprov.get("ID", ""))
    for label, group in (("Documentation", documentation_group), ("Schemas", schema_group)):
        sub(sub(top, q(METS, "div"), ID=new_id(), LABEL=label), q(METS, "fptr"), FILEID=group.get("ID", ""))
    holder = sub(top, q(METS, "div"), ID=new_id(), LABEL="Representations")
    sub(holder, q(METS, "fptr"), FILEID=shared.get("ID", ""))
    for (name, _), file in zip(representations, shared.findall(q(METS, "file")), strict=True):
        division = sub(holder, q(METS, "div"), ID=new_id(), LABEL=f"Representations/{name}")
        sub(division, q(METS, "mptr"), **{"LOCTYPE": "URL", q(XLINK, "type"): "simple",
                                           q(XLINK, "href"): _href(file),
                                           q(XLINK, "title"): shared.get("ID", "")})
    return to_bytes(root)


CSIP_CONTENT = q(CSIP, "CONTENTINFORMATIONTYPE")
CSIP_OTHER_CONTENT = q(CSIP, "OTHERCONTENTINFORMATIONTYPE")


def _root(header: Header) -> ET.Element:
    root = ET.Element(q(METS, "mets"), {
        "OBJID": header.object_id, "LABEL": header.label, "TYPE": CONTENT_CATEGORY,
        CSIP_CONTENT: CONTENT_INFORMATION_TYPE, CSIP_OTHER_CONTENT: OTHER_CONTENT_INFORMATION_TYPE,
        "PROFILE": PROFILES[header.version]})
    created = timestamp(header.created)
    hdr = sub(root, q(METS, "metsHdr"), CREATEDATE=created, LASTMODDATE=created, RECORDSTATUS="NEW",
              **{q(CSIP, "OAISPACKAGETYPE"): "SIP"})
    agent = sub(hdr, q(METS, "agent"), ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    sub(agent, q(METS, "name"), header.software)
    sub(agent, q(METS, "note"), header.software_version, **{q(CSIP, "NOTETYPE"): "SOFTWARE VERSION"})
    if header.submitter:
        agent = sub(hdr, q(METS, "agent"), ROLE="CREATOR", TYPE="ORGANIZATION")
        sub(agent, q(METS, "name"), header.submitter)
        sub(agent, q(METS, "note"), header.submitter_code or header.submitter,
            **{q(CSIP, "NOTETYPE"): "IDENTIFICATIONCODE"})
    return root


def _checksums(entry: Entry) -> dict[str, str]:
    return {"MIMETYPE": entry.media_type, "SIZE": str(entry.size), "CREATED": timestamp(entry.created),
            "CHECKSUM": entry.sha256.upper(), "CHECKSUMTYPE": CHECKSUM_TYPE}


def _md_ref(parent: ET.Element, entry: Entry, **kind: str) -> None:
    attributes = {"ID": new_id(), "LOCTYPE": "URL", **_checksums(entry), **{k: v for k, v in kind.items() if v},
                  q(XLINK, "type"): "simple", q(XLINK, "href"): entry.href}
    sub(parent, q(METS, "mdRef"), **attributes)


def _group(file_sec: ET.Element, use: str, entries: list[Entry], **attributes: str) -> ET.Element:
    group = sub(file_sec, q(METS, "fileGrp"), ID=new_id(), USE=use, **attributes)
    for entry in entries:
        _file(group, entry)
    return group


def _file(group: ET.Element, entry: Entry) -> None:
    file = sub(group, q(METS, "file"), ID=new_id(), **_checksums(entry))
    sub(file, q(METS, "FLocat"), **{"LOCTYPE": "URL", q(XLINK, "type"): "simple", q(XLINK, "href"): entry.href})


def _href(file: ET.Element) -> str:
    return file.find(q(METS, "FLocat")).get(q(XLINK, "href"), "")  # type: ignore[union-attr]
