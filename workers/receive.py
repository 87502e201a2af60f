"""The receive step: from an inbox entry to a stored, registered dossier, without losing a byte.

The order is what makes a crash harmless at any point:
1. the dossier row is committed in state `receiving` (its id names the object keys);
2. every original is put in the object store, verified against its SHA-256 (a retried put of the
   same bytes is a no-op);
3. the file rows and the state `received` are committed;
4. only then does the entry leave the inbox, in one rename to a hidden name
   (`.sohoa-leaving-...`) that the watcher never takes; the move to done/ or the deletion happens
   from there. A crash half-way through deleting a folder leaves the hidden name, which the next
   start finishes, never a partial folder that would look like a new dossier.
A crash before 4 leaves the entry in the inbox; taking it again finds the dossier by fingerprint
and finishes the same steps, so nothing is lost and nothing is stored twice.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ingest.intake import Intake, assemble
from ingest.rejection import Rejected, unreadable
from ingest.settle import SettleTracker
from ingest.validate import Limits
from ingest.watch import Outcome
from storage.keys import original_key
from storage.models import Dossier
from storage.register import DIGITIZING, FAILED, RECEIVED, RECEIVING
from storage.vocabulary import Action
from workers.disk import disk_full_reason, is_disk_full
from workers.quarantine import free_name, quarantine
from workers.services import Services

log = logging.getLogger(__name__)

LEAVING = ".sohoa-leaving-"
FULL_SIGNS = (os.strerror(errno.ENOSPC), os.strerror(errno.EDQUOT), "database or disk is full")
FULL_PAUSE_SECONDS = 5.0


@dataclass(frozen=True)
class Received:
    """What became of an entry: a dossier (new or already known), or a quarantined file."""

    dossier_id: int | None
    new: bool
    quarantined_to: Path | None = None
    reason: str | None = None
    deferred: bool = False
    reason_vi: str | None = None
    refusal: str | None = None  # the reason code of a refused entry


def limits_of(services: Services) -> Limits:
    s = services.settings
    return Limits(max_bytes=s.max_file_mb * 2**20, max_pixels=s.max_pixels, max_pages=s.max_pages)


def receive(entry: Path, services: Services, *, actor: str, station: str | None = None,
            remove_source: bool = True, defer: Callable[[Rejected], bool] | None = None) -> Received:
    """Store and register one file or folder; quarantine it with a reason when it is unusable.

    `defer` may hold a refusal back (the entry stays in the inbox, to be looked at again): the
    watcher uses it for files that may still be arriving. `OSError` (the entry cannot be read
    now) is raised: the watcher retries it with a pause, `sohoa ingest` reports it.
    """
    try:
        intake = assemble(entry, limits_of(services))
    except Rejected as rejected:
        if defer and defer(rejected):
            return Received(None, new=False, reason=rejected.english, deferred=True, reason_vi=rejected.vietnamese,
                            refusal=str(rejected.code))
        return refuse(entry, rejected, services, actor=actor, remove_source=remove_source)
    register = services.register
    dossier = register.find_by_fingerprint(intake.fingerprint)
    if dossier is not None and dossier.state != RECEIVING:
        register.add_event(dossier.id, actor, "dropped_again", {"source": entry.name})
        if remove_source:
            leave_inbox(entry, services)
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
        leave_inbox(entry, services)
    return Received(dossier.id, new=new)


def refuse(entry: Path, rejected: Rejected, services: Services, *, actor: str, remove_source: bool) -> Received:
    """Quarantine the entry (or, for sources left in place, only record the refusal)."""
    if not remove_source:
        services.register.add_event(None, actor, "refused",
                                    {"name": entry.name, "code": str(rejected.code), "reason": rejected.english})
        return Received(None, new=False, reason=rejected.english, reason_vi=rejected.vietnamese,
                        refusal=str(rejected.code))
    moved = quarantine(entry, rejected, services.settings.quarantine, services.register, actor)
    return Received(None, new=False, quarantined_to=moved, reason=rejected.english, reason_vi=rejected.vietnamese,
                    refusal=str(rejected.code))


def _store_originals(dossier: Dossier, intake: Intake, services: Services) -> None:
    for file in intake.files:
        key = original_key(dossier, file.sha256, file.checked.extension)
        info = services.objects.put(key, file.path, file.sha256, file.checked.media_type)
        services.register.add_file(dossier.id, role="original", name=file.path.name, object_key=key,
                                   sha256=info.sha256, size=info.size, media_type=info.content_type,
                                   ordinal=file.ordinal)


def leave_inbox(entry: Path, services: Services) -> None:
    """The stored entry leaves the inbox in one rename, then goes to done/<date>/ or is deleted."""
    staged = entry.with_name(f"{LEAVING}{time.time_ns():x}-{entry.name}")
    os.rename(entry, staged)
    finish_leaving(staged, services)


def finish_leaving(staged: Path, services: Services) -> None:
    """Move a staged entry to done/<date>/ under its own name, or delete it, as set."""
    if services.settings.after_ingest == "delete":
        shutil.rmtree(staged) if staged.is_dir() and not staged.is_symlink() else staged.unlink()
        return
    name = staged.name.removeprefix(LEAVING).partition("-")[2] or staged.name
    folder = services.settings.done / f"{datetime.now():%Y-%m-%d}"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.move(str(staged), str(free_name(folder, name)))


def finish_interrupted_leaving(inbox: Path, services: Services) -> list[str]:
    """Complete what a crash interrupted: entries stored and staged to leave, still in the inbox."""
    done: list[str] = []
    try:
        staged = [p for p in inbox.iterdir() if p.name.startswith(LEAVING)]
    except OSError:
        return done
    for path in staged:
        finish_leaving(path, services)
        done.append(path.name)
    return done


@dataclass(frozen=True)
class Taken:
    """What the receiver did with one entry, for whoever shows it (the CLI's log, a test)."""

    name: str
    received: Received


class Receiver:
    """The inbox watcher's handler: stores, quarantines or defers each settled entry.

    Never raises for an entry's content: a refusal quarantines it, a refusal that a file still
    being copied would also earn waits `unfinished_grace_seconds` first. A file system error is
    raised for the watcher to retry with a pause, and after its bound `give_up` quarantines the
    entry as unreadable. A full disk pauses intake (said once in the log), and intake resumes by
    itself once there is room again, calling `on_resume` so that dossiers a full disk stopped
    halfway are picked up again.
    """

    def __init__(self, services: Services, *, submit: Callable[[int], object],
                 report: Callable[[Taken], None] = lambda _taken: None,
                 on_resume: Callable[[], object] = lambda: None, actor: str = "watcher") -> None:
        self.services = services
        self.submit = submit
        self.report = report
        self.on_resume = on_resume
        self.actor = actor
        self.paused: str | None = None
        self._full_until = 0.0

    def __call__(self, entry: Path, tracker: SettleTracker) -> Outcome:
        if self._pause_needed():
            return Outcome.WAIT
        try:
            result = receive(entry, self.services, actor=self.actor,
                             defer=lambda rejected: rejected.may_be_unfinished and not tracker.past_grace(entry))
        except Exception as error:
            if is_disk_full(error):
                self._pause(f"the disk is full ({error})")
                return Outcome.WAIT
            raise
        if result.deferred:
            return Outcome.WAIT
        self.report(Taken(entry.name, result))
        if result.dossier_id is not None:
            self.submit(result.dossier_id)
        return Outcome.TAKEN

    def give_up(self, entry: Path, error: BaseException) -> None:
        """An entry that kept failing: quarantined as unreadable, with what went wrong."""
        if is_disk_full(error):
            raise error
        result = refuse(entry, unreadable(error), self.services, actor=self.actor, remove_source=True)
        self.report(Taken(entry.name, result))

    def _pause_needed(self) -> bool:
        """True while the disk is short of space, or was found full by a write less than 5 s ago."""
        reason = disk_full_reason(self.services)
        if reason is not None:
            self._pause(reason)
            return True
        if self.paused is not None and time.monotonic() < self._full_until:
            return True
        if self.paused is not None:
            log.warning("disk space is back: intake resumes")
            self.paused = None
            self.on_resume()
        return False

    def _pause(self, reason: str) -> None:
        self._full_until = time.monotonic() + FULL_PAUSE_SECONDS
        if self.paused is None:
            log.warning("%s; sohoa resumes by itself when there is room", reason)
            self.paused = reason


class ResultReceiver:
    """The results folder's handler: attach `<dossier code>.pdf` to its dossier, or quarantine it."""

    def __init__(self, services: Services, report: Callable[[str, int | None], None] = lambda _n, _d: None) -> None:
        self.services = services
        self.report = report

    def __call__(self, entry: Path, _tracker: SettleTracker) -> Outcome:
        from workers.results import receive_result  # the signing stack, loaded only once a result arrives

        self.report(entry.name, receive_result(entry, self.services))
        return Outcome.TAKEN

    def give_up(self, entry: Path, error: BaseException) -> None:
        refuse(entry, unreadable(error), self.services, actor="results-folder", remove_source=True)
        self.report(entry.name, None)


def resume_after_full_disk(services: Services, submit: Callable[[int], object]) -> list[int]:
    """Dossiers a full disk stopped: those left mid-way, and those failed for lack of space, run again."""
    register = services.register
    again = register.dossier_ids(states=[RECEIVED, DIGITIZING])
    for dossier_id in register.dossier_ids(states=[FAILED]):
        failures = register.events(dossier_id, action=Action.FAILED, limit=1, newest_first=True)
        error = str((failures[0].detail or {}).get("error", "")) if failures else ""
        if any(sign in error for sign in FULL_SIGNS):
            register.reset_steps(dossier_id, actor="watcher")  # back to received, with a retry event
            again.append(dossier_id)
    for dossier_id in again:
        submit(dossier_id)
    return again
