"""What a package is made of: the plain facts of one dossier, gathered by whoever holds them.

Field names follow Nghị định 30/2020/NĐ-CP, Phụ lục VI (the metadata of a dossier and of each of its
documents), so the descriptive metadata maps one field to one element.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path


class CsipVersion(StrEnum):
    """The E-ARK CSIP/SIP specification a package is written to (both validators know these two)."""

    V2_0_4 = "2.0.4"
    V2_1_0 = "2.1.0"


@dataclass(frozen=True)
class PackageFile:
    """A file to put in a package: where its bytes are now and what the register says they are.

    `sha256` is the checksum recorded when the file was stored; the bytes are checked against it
    while they are copied, so a package never carries a file that changed since.
    """

    source: Path
    name: str
    media_type: str
    sha256: str
    size: int
    created: datetime


@dataclass(frozen=True)
class Document:
    """One document (văn bản) of the dossier in its digitized representation, Phụ lục VI fields."""

    ordinal: int
    type_name: str
    subject: str
    organ: str
    pages: int
    file: PackageFile
    code_number: str = ""
    code_notation: str = ""
    issued: date | None = None
    signers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Agent:
    """Who acted on the dossier: `kind` is a PREMIS agent type (software, person, organization)."""

    identifier: str
    name: str
    kind: str
    version: str | None = None


@dataclass(frozen=True)
class PremisEvent:
    """One preservation event: `event_type` from the Library of Congress PREMIS event type vocabulary.

    `objects` are the package file names the event produced or checked; `agents` pairs an agent
    identifier with its role (e.g. "executing program", "authorizer").
    """

    identifier: str
    event_type: str
    at: datetime
    detail: str
    outcome: str = "success"
    outcome_detail: str = ""
    agents: tuple[tuple[str, str], ...] = ()
    objects: tuple[str, ...] = ()


@dataclass(frozen=True)
class DossierFacts:
    """Everything one package holds: the dossier's metadata, its files in two representations, its history.

    `package_id` is the package's OBJID and folder name; `originals` become representation 1 as
    received, `documents` (the PDF/A digitized copy and the signed results) representation 2.
    """

    package_id: str
    file_code: str
    title: str
    maintenance: str
    rights: str
    creator: str
    language: str
    start_date: date
    end_date: date
    originals: list[PackageFile]
    documents: list[Document]
    events: list[PremisEvent] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)
    creator_code: str = ""
    software: str = "sohoa"
    software_version: str = "0"
    description: str = ""
