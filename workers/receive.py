"""The receive step: from an inbox entry to a stored, registered dossier, without losing a byte.

The order is what makes a crash harmless at any point:
1. the dossier row is committed in state `receiving` (its id names the object keys);
2. every original is put in the object store, verified against its SHA-256 (a retried put of the
   same bytes is a no-op);
3. the file rows and the state `received` are committed;
4. only then does the entry leave the inbox.
A crash before 4 leaves the entry in the inbox; taking it again finds the dossier by fingerprint
and finishes the same steps, so nothing is lost and nothing is stored twice.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ingest.intake import Intake, assemble
from ingest.rejection import Rejected
from ingest.validate import Limits
from storage.models import Dossier
from storage.register import RECEIVED, RECEIVING
from workers.quarantine import free_name, quarantine
from workers.services import Services

# Refusals that a file still being copied would also earn: the watcher waits longer before them.
UNFINISHED_CODES = {"empty", "corrupt-pdf", "corrupt-image", "no-pages", "empty-folder"}


@dataclass(frozen=True)
class Received:
    """What became of an entry: a dossier (new or already known), or a quarantined file."""

    dossier_id: int | None
    new: bool
    quarantined_to: Path | None = None
    reason: str | None = None
    deferred: bool = False


def original_key(dossier: Dossier, sha256: str, extension: str) -> str:
    """`{agency}/{yyyy}/{mm}/{dossier}/original/{sha256}.{ext}` (design.md)."""
    return f"{dossier.agency}/{dossier.received_at:%Y/%m}/{dossier.id}/original/{sha256}.{extension}"


def limits_of(services: Services) -> Limits:
    s = services.settings
    return Limits(max_bytes=s.max_file_mb * 2**20, max_pixels=s.max_pixels, max_pages=s.max_pages)


def receive(entry: Path, services: Services, *, actor: str, station: str | None = None,
            remove_source: bool = True, defer: Callable[[Rejected], bool] | None = None) -> Received:
    """Store and register one file or folder; quarantine it with a reason when it is unusable.

    `defer` may hold a refusal back (the entry stays in the inbox, to be looked at again): the
    watcher uses it for files that may still be arriving.
    """
    try:
        intake = assemble(entry, limits_of(services))
    except Rejected as rejected:
        if defer and defer(rejected):
            return Received(None, new=False, reason=rejected.english, deferred=True)
        if not remove_source:
            services.register.add_event(None, actor, "refused",
                                        {"name": entry.name, "code": rejected.code, "reason": rejected.english})
            return Received(None, new=False, reason=rejected.english)
        moved = quarantine(entry, rejected, services.settings.quarantine, services.register, actor)
        return Received(None, new=False, quarantined_to=moved, reason=rejected.english)
    register = services.register
    dossier = register.find_by_fingerprint(intake.fingerprint)
    if dossier is not None and dossier.state != RECEIVING:
        register.add_event(dossier.id, actor, "dropped_again", {"source": entry.name})
        if remove_source:
            _leave_inbox(entry, services)
        return Received(dossier.id, new=False)
    new = dossier is None
    if dossier is None:
        dossier = register.create_dossier(fingerprint=intake.fingerprint, source_name=entry.name,
                                          agency=services.settings.agency, code=intake.code,
                                          station=station, actor=actor)
    _store_originals(dossier, intake, services)
    register.update(dossier.id, state=RECEIVED, page_count=intake.pages,
                    event=(actor, "stored", {"files": len(intake.files), "bytes": intake.size}))
    if remove_source:
        _leave_inbox(entry, services)
    return Received(dossier.id, new=new)


def _store_originals(dossier: Dossier, intake: Intake, services: Services) -> None:
    for file in intake.files:
        key = original_key(dossier, file.sha256, file.checked.extension)
        info = services.objects.put(key, file.path, file.sha256, file.checked.media_type)
        services.register.add_file(dossier.id, role="original", name=file.path.name, object_key=key,
                                   sha256=info.sha256, size=info.size, media_type=info.content_type,
                                   ordinal=file.ordinal)


def _leave_inbox(entry: Path, services: Services) -> None:
    """Move the entry to done/<date>/ or delete it, as set: it is safely stored by now."""
    if services.settings.after_ingest == "delete":
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        return
    folder = services.settings.done / f"{datetime.now():%Y-%m-%d}"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.move(str(entry), str(free_name(folder, entry.name)))
