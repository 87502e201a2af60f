"""The rows the one-stop reports are computed from (province/reports.py), gathered in one query.

A dossier belongs to a period [start, end) when it was received before the end and was not
finished before the start: received in the period, or carried over into it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Dossier, File, Outbox


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


class ReportRows:
    """Mixed into `storage.register.Register`."""

    if TYPE_CHECKING:
        def session(self) -> AbstractContextManager[Session]: ...  # provided by Register

    def report_rows(self, start: datetime, end: datetime, agency: str | None = None) -> list[dict[str, Any]]:
        """One plain dict per dossier of the period, with when it was digitized and whether it was synced."""
        digitized = (select(File.dossier_id, func.min(File.created_at).label("at")).where(File.role == "digitized")
                     .group_by(File.dossier_id).subquery())
        results = (select(File.dossier_id).where(File.role.in_(("result", "signed_result")))
                   .group_by(File.dossier_id).subquery())
        synced = select(Outbox.dossier_id).where(Outbox.state == "sent").group_by(Outbox.dossier_id).subquery()
        ended = func.coalesce(Dossier.finished_at, Dossier.returned_at)
        query = (select(Dossier, digitized.c.at, results.c.dossier_id.is_not(None), synced.c.dossier_id.is_not(None))
                 .outerjoin(digitized, digitized.c.dossier_id == Dossier.id)
                 .outerjoin(results, results.c.dossier_id == Dossier.id)
                 .outerjoin(synced, synced.c.dossier_id == Dossier.id)
                 .where(Dossier.received_at < end, or_(ended.is_(None), ended >= start))
                 .order_by(Dossier.id))
        if agency:
            query = query.where(and_(Dossier.agency == agency))
        with self.session() as s:
            return [{"dossier_id": d.id, "code": d.code, "agency": d.agency, "procedure_id": d.procedure_id,
                     "channel": d.channel, "received_at": _aware(d.received_at), "due_at": _aware(d.due_at),
                     "finished_at": _aware(d.finished_at), "returned_at": _aware(d.returned_at),
                     "legal_status": d.legal_status, "digitized_at": _aware(at), "has_result": bool(has_result),
                     "synced": bool(was_synced)}
                    for d, at, has_result, was_synced in s.execute(query)]
