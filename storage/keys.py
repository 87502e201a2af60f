"""Object keys of a dossier's files, built in one place (design.md, "Register").

`{agency}/{yyyy}/{mm}/{dossier}/original/{sha256}.{ext}`, `.../digitized/{code}.pdf`,
`.../results/{sha256}.pdf`, `.../signed/{sha256}.pdf`: the key follows the dossier, so a bucket
listing reads like the register, and an original's key holds its SHA-256, so it is write-once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

MODEL_KEY = "models/classifier/current.bin"


class KeyedDossier(Protocol):
    """What a key needs of a dossier (a `storage.models.Dossier` has it)."""

    @property
    def id(self) -> int: ...
    @property
    def agency(self) -> str: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def code(self) -> str | None: ...


def dossier_prefix(dossier: KeyedDossier) -> str:
    return f"{dossier.agency}/{dossier.received_at:%Y/%m}/{dossier.id}"


def original_key(dossier: KeyedDossier, sha256: str, extension: str) -> str:
    return f"{dossier_prefix(dossier)}/original/{sha256}.{extension}"


def digitized_key(dossier: KeyedDossier) -> str:
    return f"{dossier_prefix(dossier)}/digitized/{dossier.code or f'dossier-{dossier.id}'}.pdf"


def result_key(dossier: KeyedDossier, sha256: str) -> str:
    return f"{dossier_prefix(dossier)}/results/{sha256}.pdf"


def signed_key(dossier: KeyedDossier, sha256: str) -> str:
    return f"{dossier_prefix(dossier)}/signed/{sha256}.pdf"
