"""The outbox of messages for the provincial one-stop system, and the register's reads and writes of it.

Every change the province must know is written here in the transaction of the change itself
(`enqueue`, called from the register's writes), so a crash can never commit the change and lose
the message, or the reverse. A sync worker (workers/sync.py) later claims messages, sends them and
marks them; this module only keeps the rows honest:

- **Order per dossier**: only a dossier's oldest unsent message can be claimed; a later one waits
  until it is sent (a status 10 must never reach the portal before the 9 it follows).
- **Leases, not locks**: a claimed message carries `lease_until`; a worker killed mid-batch leaves
  leases that lapse, and the messages are claimed again (sending twice is harmless: the worker's
  payloads are whole snapshots, so a repeat changes nothing at the portal).
- **Waiting**: the portal needs a dossier's code and procedure; a message written before both are
  known (a dossier just received, before OCR and classification) waits, and is merged into the
  next message of the same dossier, whose snapshot carries everything it said.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from storage.models import Dossier, Event, File, Outbox


class OutboxState(StrEnum):
    waiting = "waiting"  # the dossier has no code or procedure yet: not sendable
    pending = "pending"  # to send (when next_attempt_at has come)
    sending = "sending"  # claimed by a worker until lease_until
    sent = "sent"
    merged = "merged"  # superseded by a later message of the same dossier, which carries its facts
    dead = "dead"  # refused after the last retry: `sohoa sync retry` puts it back


class OutboxKind(StrEnum):
    received = "received"
    classified = "classified"
    digitized = "digitized"
    result_signed = "result_signed"
    returned = "returned"
    resend = "resend"


# The register events whose change the province must know, and the message each one writes.
OUTBOX_ACTIONS: dict[str, OutboxKind] = {
    "stored": OutboxKind.received,
    "classified": OutboxKind.classified,
    "reviewed": OutboxKind.classified,
    "digitized": OutboxKind.digitized,
    "result_signed": OutboxKind.result_signed,
    "returned": OutboxKind.returned,
}
# Files the province receives: the digitized copy of the components, the results.
SYNCED_ROLES = ("digitized", "result", "signed_result")
BLOCKING = (OutboxState.waiting, OutboxState.pending, OutboxState.sending, OutboxState.dead)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def snapshot(session: Session, dossier: Dossier) -> dict[str, Any]:
    """The dossier's plain facts as they stand in this transaction (what the message will say)."""
    session.flush()
    files = session.scalars(select(File).where(File.dossier_id == dossier.id, File.role.in_(SYNCED_ROLES))
                            .order_by(File.id))
    fields = dossier.fields or {}
    return {
        "dossier_id": dossier.id, "code": dossier.code, "agency": dossier.agency, "channel": dossier.channel,
        "received_at": _iso(dossier.received_at), "due_at": _iso(dossier.due_at),
        "procedure_id": dossier.procedure_id, "legal_status": dossier.legal_status, "state": dossier.state,
        "finished_at": _iso(dossier.finished_at), "returned_at": _iso(dossier.returned_at),
        "applicant_name": fields.get("applicant_name"), "personal_id": fields.get("personal_id"),
        "files": [{"id": f.id, "role": f.role, "name": f.name, "sha256": f.sha256, "size": f.size,
                   "media_type": f.media_type} for f in files],
    }


def enqueue(session: Session, dossier: Dossier, kind: OutboxKind) -> Outbox:
    """Write the message of `kind` for the dossier inside the caller's transaction."""
    facts = snapshot(session, dossier) | {"at": datetime.now(UTC).isoformat()}
    # The portal files a dossier by its code (MaHoSo) and procedure (MaTTHC): without both, wait.
    state = OutboxState.pending if facts["code"] and facts["procedure_id"] else OutboxState.waiting
    session.execute(update(Outbox).where(Outbox.dossier_id == dossier.id, Outbox.state == OutboxState.waiting)
                    .values(state=OutboxState.merged, last_error="carried by a later message"))
    message = Outbox(dossier_id=dossier.id, kind=kind, facts=facts, state=state, attempts=0,
                     next_attempt_at=datetime.now(UTC))
    session.add(message)
    return message


@dataclass(frozen=True)
class Claimed:
    """A message handed to a sync worker: what to send, and whether the portal knows the dossier."""

    id: int
    dossier_id: int
    kind: str
    facts: dict[str, Any]
    attempts: int
    known: bool  # an earlier message of the dossier was accepted: send as an update


@dataclass(frozen=True)
class OutboxRow:
    id: int
    dossier_id: int
    code: str | None
    kind: str
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class OutboxRegister:
    """The register's outbox methods (mixed into `storage.register.Register`), one transaction each."""

    if TYPE_CHECKING:
        def session(self) -> AbstractContextManager[Session]: ...  # provided by Register

    def _enqueue_outbox(self, session: Session, dossier_id: int, action: str) -> None:
        """Called by the register's writes: the message of `action`, if the province must know it."""
        kind = OUTBOX_ACTIONS.get(action)
        if kind is not None:
            enqueue(session, session.get_one(Dossier, dossier_id), kind)

    def claim_outbox(self, *, limit: int, worker: str, lease_seconds: float,
                     now: datetime | None = None) -> list[Claimed]:
        """Up to `limit` messages due now, each the oldest unsent of its dossier, leased to `worker`."""
        now = now or datetime.now(UTC)
        earlier, sent = aliased(Outbox), aliased(Outbox)
        blocked = exists().where(earlier.dossier_id == Outbox.dossier_id, earlier.id < Outbox.id,
                                 earlier.state.in_(BLOCKING))
        due = or_(and_(Outbox.state == OutboxState.pending, Outbox.next_attempt_at <= now),
                  and_(Outbox.state == OutboxState.sending, Outbox.lease_until < now))
        known = exists().where(sent.dossier_id == Outbox.dossier_id, sent.state == OutboxState.sent)
        with self.session() as s:
            rows = list(s.execute(select(Outbox.id, Outbox.dossier_id, Outbox.kind, Outbox.facts, Outbox.attempts,
                                         known).where(due, ~blocked).order_by(Outbox.id).limit(limit)
                                  .with_for_update(skip_locked=True, of=Outbox)))
            if not rows:
                return []
            # Taken only if still due as this write sees it: SQLite runs the read above outside the
            # write's transaction, so another worker may have claimed a row in between.
            taken = set(s.scalars(update(Outbox).where(Outbox.id.in_([r[0] for r in rows]), due)
                                  .values(state=OutboxState.sending, lease_until=now + timedelta(seconds=lease_seconds),
                                          claimed_by=worker).returning(Outbox.id)))
            return [Claimed(i, d, k, f, a, bool(kn)) for i, d, k, f, a, kn in rows if i in taken]

    def outbox_sent(self, ids: Sequence[int], *, worker: str) -> int:
        """Mark messages accepted by the portal; returns how many this worker still held."""
        with self.session() as s:
            result = s.execute(update(Outbox).where(Outbox.id.in_(ids), Outbox.state == OutboxState.sending,
                                                    Outbox.claimed_by == worker)
                               .values(state=OutboxState.sent, sent_at=datetime.now(UTC), last_error=None,
                                       lease_until=None))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def outbox_release(self, ids: Sequence[int], *, worker: str, delay: float, error: str) -> None:
        """Give messages back untried (the portal was unreachable): no attempt is counted."""
        with self.session() as s:
            s.execute(update(Outbox).where(Outbox.id.in_(ids), Outbox.state == OutboxState.sending,
                                           Outbox.claimed_by == worker)
                      .values(state=OutboxState.pending, lease_until=None, last_error=error,
                              next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay)))

    def outbox_refused(self, message_id: int, *, worker: str, error: str, retry_in: float | None) -> str:
        """The portal refused a message: retry it after `retry_in` seconds, or (None) dead-letter it."""
        with self.session() as s:
            row = s.get_one(Outbox, message_id)
            if row.state != OutboxState.sending or row.claimed_by != worker:
                return row.state
            row.attempts += 1
            row.last_error, row.lease_until = error, None
            if retry_in is None:
                row.state = OutboxState.dead
                s.add(Event(dossier_id=row.dossier_id, actor="sync", action="sync_dead_letter",
                            detail={"message": row.id, "kind": row.kind, "error": error}))
            else:
                row.state = OutboxState.pending
                row.next_attempt_at = datetime.now(UTC) + timedelta(seconds=retry_in)
            return row.state

    def outbox_retry(self, dossier_ids: Sequence[int] | None, *, actor: str) -> int:
        """Put dead letters back (of these dossiers, or all): they are tried again from the first attempt."""
        with self.session() as s:
            query = select(Outbox).where(Outbox.state == OutboxState.dead)
            if dossier_ids is not None:
                query = query.where(Outbox.dossier_id.in_(dossier_ids))
            rows = list(s.scalars(query))
            for row in rows:
                row.state, row.attempts, row.next_attempt_at = OutboxState.pending, 0, datetime.now(UTC)
                s.add(Event(dossier_id=row.dossier_id, actor=actor, action="sync_retry", detail={"message": row.id}))
            return len(rows)

    def outbox_resend(self, dossier_id: int, *, actor: str) -> int:
        """Send the dossier's facts as they are now, again (the portal lost or garbled it).

        Its unsent and dead messages are merged into the new one, which carries all they said.
        """
        with self.session() as s:
            dossier = s.get_one(Dossier, dossier_id)
            s.execute(update(Outbox).where(Outbox.dossier_id == dossier_id,
                                           Outbox.state.in_([OutboxState.pending, OutboxState.dead,
                                                             OutboxState.waiting]))
                      .values(state=OutboxState.merged, last_error="carried by a resend"))
            message = enqueue(s, dossier, OutboxKind.resend)
            s.add(Event(dossier_id=dossier_id, actor=actor, action="sync_resend", detail=None))
            s.flush()
            return message.id

    def outbox_counts(self) -> dict[str, int]:
        """Messages per state, for `sohoa status` and `sohoa sync status`."""
        with self.session() as s:
            counts = {state.value: 0 for state in OutboxState}
            counts |= {state: n for state, n in s.execute(select(Outbox.state, func.count()).group_by(Outbox.state))}
            return counts

    def outbox_messages(self, *, dossier_id: int | None = None, states: Sequence[str] | None = None,
                        limit: int = 50) -> list[OutboxRow]:
        with self.session() as s:
            query = select(Outbox, Dossier.code).join(Dossier, Dossier.id == Outbox.dossier_id)
            if dossier_id is not None:
                query = query.where(Outbox.dossier_id == dossier_id)
            if states:
                query = query.where(Outbox.state.in_(states))
            rows = s.execute(query.order_by(Outbox.id.desc()).limit(limit))
            return [OutboxRow(o.id, o.dossier_id, code, o.kind, o.state, o.attempts, o.last_error, o.created_at,
                              o.sent_at) for o, code in rows]

    def file_by_id(self, file_id: int) -> File | None:
        """A stored file's row (the province's download endpoint serves files by id)."""
        with self.session() as s:
            return s.get(File, file_id)
