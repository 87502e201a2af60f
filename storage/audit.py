"""The audit trail of personal data: every read and change, append-only and hash-chained.

Law 91/2025/QH15 (from 1/1/2026) asks who read whose data, when and why. Each row holds who (name,
role, agencies), when, from which address, what (action and dossier ids) and the purpose (the
procedure); secrets never enter it. Triggers refuse UPDATE and DELETE (migration 0004), and each
row carries `prev_hash`, the hash of the row before it, and `hash`, SHA-256 of its own canonical
JSON (that link included): a row edited or removed behind the application's back breaks the chain
at that row, and `verify` names it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import desc, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from storage.models import AuditRow
from storage.register import Register

GENESIS = "0" * 64


class AuditAction(StrEnum):
    SEARCH = "search"
    VIEW = "view"
    PAGE_IMAGE = "page_image"
    OCR_TEXT = "ocr_text"
    DOWNLOAD = "download"
    EXPORT = "export"
    SIGN = "sign"
    RETURN = "return"  # a signed result handed back to the citizen (the Kết quả page)
    REVIEW = "review"
    UPLOAD = "upload"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOCKED = "locked"
    LOGOUT = "logout"
    QUARANTINE_RELEASE = "quarantine_release"
    QUARANTINE_DELETE = "quarantine_delete"
    SYNC_RETRY = "sync_retry"  # dead letters of the hand-off put back (admin page)
    REPORT = "report"  # Biểu 06 downloaded (admin page)
    ACCOUNT = "account"


@dataclass(frozen=True)
class AuditEntry:
    """What the caller knows of one access; the row's time, id and hashes are the trail's."""

    actor: str
    role: str
    agency: str
    action: AuditAction
    dossiers: Sequence[int] = ()
    purpose: str | None = None
    ip: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChainCheck:
    rows: int
    broken_id: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def as_dict(row: AuditRow) -> dict[str, Any]:
    """The row as plain JSON values: what is hashed, exported and shown."""
    return {"id": row.id, "at": _iso(row.at), "actor": row.actor, "role": row.role, "agency": row.agency,
            "ip": row.ip, "action": row.action, "dossiers": list(row.dossiers or []), "purpose": row.purpose,
            "detail": row.detail or {}, "prev_hash": row.prev_hash}


def row_hash(values: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of every field but `hash`."""
    body = {k: v for k, v in values.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


AUDIT_LOCK = 0x736F686F61  # "sohoa": PostgreSQL's advisory lock of the chain's end


def _take_end(s: Session) -> None:
    """Hold the chain's end until the transaction ends: other writers wait (busy timeout / lock).

    SQLite: BEGIN IMMEDIATE takes the write lock before the last row is read, so the row read is
    the end when the new one is written. PostgreSQL: a transaction-scoped advisory lock.
    """
    if s.get_bind().dialect.name == "sqlite":
        s.execute(text("BEGIN IMMEDIATE"))
    else:
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK})


class Audit:
    """The audit table of one register."""

    def __init__(self, register: Register) -> None:
        self.register = register

    def append(self, entry: AuditEntry, *, now: datetime | None = None) -> int:
        """Add a row at the end of the chain; returns its id.

        Writers take the end of the chain one at a time (`_take_end`): the web's worker processes
        append a row per request, and without the lock they would race, the losers retrying. The
        unique `prev_hash` still guards the chain: a loser of any race tries again on the new end,
        so the chain never forks.
        """
        for _ in range(50):
            try:
                with self.register.session() as s:
                    _take_end(s)
                    last = s.execute(select(AuditRow.id, AuditRow.hash).order_by(desc(AuditRow.id)).limit(1)).first()
                    row = AuditRow(id=(last.id + 1) if last else 1, at=now or datetime.now(UTC), actor=entry.actor,
                                   role=entry.role, agency=entry.agency, ip=entry.ip, action=entry.action.value,
                                   dossiers=[int(d) for d in entry.dossiers], purpose=entry.purpose,
                                   detail=dict(entry.detail), prev_hash=last.hash if last else GENESIS, hash="")
                    row.hash = row_hash(as_dict(row))
                    s.add(row)
                return row.id
            except (IntegrityError, OperationalError):  # another writer took this end (or the SQLite lock)
                time.sleep(0.005)
        raise RuntimeError("could not append to the audit trail: too many concurrent writers")

    def rows(self, start: datetime | None = None, end: datetime | None = None, *,
             batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Rows in chain order, `start` <= at < `end`, read in batches (a year is millions of rows)."""
        after = 0
        while True:
            with self.register.session() as s:
                query = select(AuditRow).where(AuditRow.id > after)
                if start:
                    query = query.where(AuditRow.at >= start)
                if end:
                    query = query.where(AuditRow.at < end)
                chunk = list(s.scalars(query.order_by(AuditRow.id).limit(batch)))
            if not chunk:
                return
            for row in chunk:
                yield as_dict(row) | {"hash": row.hash}
            after = chunk[-1].id

    def verify(self) -> ChainCheck:
        """Walk the whole chain; the first row whose link or own hash is wrong is named."""
        previous, expected_id, count = GENESIS, 1, 0
        for values in self.rows():
            if values["id"] != expected_id:
                return ChainCheck(count, values["id"], f"row {expected_id} is missing before row {values['id']}")
            if values["prev_hash"] != previous:
                return ChainCheck(count, values["id"], "its link to the previous row does not match")
            if row_hash(values) != values["hash"]:
                return ChainCheck(count, values["id"], "its content was changed after it was written")
            previous, expected_id, count = values["hash"], expected_id + 1, count + 1
        return ChainCheck(count)

    def recent(self, *, limit: int = 50, offset: int = 0, action: str | None = None,
               actor: str | None = None) -> tuple[list[dict[str, Any]], int]:
        """A page of rows, newest first, and how many there are in all (for the admin page)."""
        with self.register.session() as s:
            query = select(AuditRow)
            count = select(func.count()).select_from(AuditRow)
            if action:
                query, count = query.where(AuditRow.action == action), count.where(AuditRow.action == action)
            if actor:
                query, count = query.where(AuditRow.actor == actor), count.where(AuditRow.actor == actor)
            rows = [as_dict(r) for r in s.scalars(query.order_by(desc(AuditRow.id)).limit(limit).offset(offset))]
            return rows, s.scalar(count) or 0
