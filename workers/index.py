"""The index step: a dossier's pages and metadata into the full-text index."""

from __future__ import annotations

from storage.search import METADATA_PAGE
from workers.services import Services


def metadata_text(dossier_id: int, services: Services) -> str:
    """What archivists search for besides the content: code, source name, procedure, fields."""
    dossier = services.register.get(dossier_id)
    assert dossier is not None
    parts = [dossier.code or "", dossier.source_name, dossier.procedure_id or ""]
    parts += [str(v) for v in (dossier.fields or {}).values() if v]
    return "\n".join(p for p in parts if p)


def index(dossier_id: int, services: Services) -> None:
    """(Re)index the dossier; running it twice leaves one copy in the index."""
    pages = [(p.number, p.text) for p in services.register.pages(dossier_id) if not p.blank]
    pages.append((METADATA_PAGE, metadata_text(dossier_id, services)))
    services.register.index_dossier(dossier_id, pages)
