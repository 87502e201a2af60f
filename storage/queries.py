"""Reads of the web, every one scoped to the asker's agencies in SQL.

A commune's archivist must not see another commune's dossier, not even by guessing its id or code:
the agency is part of every WHERE clause here, so such a dossier is simply not found (the web
answers 404, not 403, and so tells nothing of its existence). `Scope(None)` is a province admin's:
every agency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from storage.models import Dossier, Event, File, Page, SavedSearch, SigningTask
from storage.register import Register
from storage.vocabulary import Action, DossierState, FileRole

# Any SELECT, whatever its columns (a string: SQLAlchemy 2.0's Select takes no unpacked tuple at run time).
AnySelect = TypeVar("AnySelect", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class Scope:
    """The agencies a reader may see; None is every agency."""

    agencies: tuple[str, ...] | None

    def where(self, query: AnySelect) -> AnySelect:
        return query if self.agencies is None else query.where(Dossier.agency.in_(self.agencies))


@dataclass(frozen=True)
class KioskStatus:
    """What the public may learn from a receipt slip's code: nothing personal."""

    code: str
    legal_status: int
    state: str
    received_at: datetime
    due_at: datetime | None
    result_ready: bool
    returned: bool


@dataclass(frozen=True)
class DayCount:
    day: date
    received: int
    digitized: int


class Queries:
    """Scoped reads over one register; each is its own short transaction."""

    def __init__(self, register: Register) -> None:
        self.register = register

    def dossier(self, dossier_id: int, scope: Scope) -> Dossier | None:
        with self.register.session() as s:
            query = scope.where(select(Dossier).where(Dossier.id == dossier_id)
                                .options(selectinload(Dossier.files), selectinload(Dossier.pages)))
            return s.scalar(query)

    def dossier_by_code(self, code: str, scope: Scope) -> Dossier | None:
        with self.register.session() as s:
            return s.scalar(scope.where(select(Dossier).where(Dossier.code == code)))

    def file(self, dossier_id: int, file_id: int, scope: Scope) -> File | None:
        with self.register.session() as s:
            query = (select(File).join(Dossier, Dossier.id == File.dossier_id)
                     .where(File.id == file_id, File.dossier_id == dossier_id))
            return s.scalar(scope.where(query))

    def page(self, dossier_id: int, number: int, scope: Scope) -> Page | None:
        with self.register.session() as s:
            query = (select(Page).join(Dossier, Dossier.id == Page.dossier_id)
                     .where(Page.dossier_id == dossier_id, Page.number == number))
            return s.scalar(scope.where(query))

    def events(self, dossier_id: int, scope: Scope) -> list[Event]:
        with self.register.session() as s:
            query = (select(Event).join(Dossier, Dossier.id == Event.dossier_id)
                     .where(Event.dossier_id == dossier_id).order_by(Event.id))
            return list(s.scalars(scope.where(query)))

    def review_queue(self, scope: Scope, limit: int = 50) -> tuple[list[Dossier], int]:
        """Dossiers waiting for a reviewer, oldest first, and how many wait in all."""
        with self.register.session() as s:
            base = select(Dossier).where(Dossier.state == DossierState.NEEDS_REVIEW)
            rows = list(s.scalars(scope.where(base).order_by(Dossier.received_at, Dossier.id).limit(limit)))
            total = s.scalar(scope.where(select(func.count()).select_from(Dossier)
                                         .where(Dossier.state == DossierState.NEEDS_REVIEW))) or 0
            return rows, total

    def classification_evidence(self, dossier_id: int, scope: Scope) -> list[dict[str, Any]]:
        """The classifier's evidence for its top suggestions (from its latest `classified` event)."""
        with self.register.session() as s:
            query = (select(Event.detail).join(Dossier, Dossier.id == Event.dossier_id)
                     .where(Event.dossier_id == dossier_id, Event.action == Action.CLASSIFIED)
                     .order_by(Event.id.desc()).limit(1))
            detail = s.scalar(scope.where(query))
            return list((detail or {}).get("evidence") or [])

    # --- signing and results (the Ký số and Kết quả pages) ---
    def signing_candidates(self, person: str, scope: Scope) -> list[tuple[SigningTask, Dossier, list[SigningTask]]]:
        """Waiting tasks that name `person` among their assignees, with their dossier and whole chain.

        Oldest due first (no due date last). Whether each one's turn has come is the signing
        stage's rule (`signing.may_sign` over the chain), applied by the caller.
        """
        with self.register.session() as s:
            query = (select(SigningTask, Dossier).join(Dossier, Dossier.id == SigningTask.dossier_id)
                     .where(SigningTask.state == "waiting", SigningTask.assignee.contains(person))
                     .order_by(Dossier.due_at.is_(None), Dossier.due_at, SigningTask.id))
            rows = [(t, d) for t, d in s.execute(scope.where(query))
                    if person in (t.assignee or "").split(",")]
            files = {t.file_id for t, _ in rows}
            chains: dict[int, list[SigningTask]] = {f: [] for f in files}
            if files:
                for c in s.scalars(select(SigningTask).where(SigningTask.file_id.in_(files))
                                   .order_by(SigningTask.step)):
                    chains[c.file_id].append(c)
            return [(t, d, chains[t.file_id]) for t, d in rows]

    def signing_task(self, task_id: int, scope: Scope) -> tuple[SigningTask, Dossier] | None:
        """One signing task and its dossier, if the dossier is within the scope."""
        with self.register.session() as s:
            query = (select(SigningTask, Dossier).join(Dossier, Dossier.id == SigningTask.dossier_id)
                     .where(SigningTask.id == task_id))
            row = s.execute(scope.where(query)).first()
            return (row[0], row[1]) if row is not None else None

    def tasks_in_scope(self, task_ids: list[int], scope: Scope) -> dict[int, int]:
        """Of `task_ids`, those whose dossier is within the scope: task id -> dossier id."""
        if not task_ids:
            return {}
        with self.register.session() as s:
            query = (select(SigningTask.id, SigningTask.dossier_id).join(Dossier, Dossier.id == SigningTask.dossier_id)
                     .where(SigningTask.id.in_(task_ids)))
            return {task_id: dossier_id for task_id, dossier_id in s.execute(scope.where(query))}

    def awaiting_return(self, scope: Scope, legal_status: int, limit: int = 100) -> list[Dossier]:
        """Dossiers whose result is fully signed (`legal_status`) and not handed back yet, oldest first."""
        with self.register.session() as s:
            query = (select(Dossier).where(Dossier.legal_status == legal_status, Dossier.returned_at.is_(None))
                     .order_by(Dossier.finished_at, Dossier.id).limit(limit))
            return list(s.scalars(scope.where(query)))

    # --- the admin's overview ---
    def counts_by_state(self, scope: Scope) -> dict[str, int]:
        with self.register.session() as s:
            query = scope.where(select(Dossier.state, func.count()).group_by(Dossier.state))
            return {state: count for state, count in s.execute(query)}

    def latest_events(self, action: str, scope: Scope, limit: int = 10) -> list[tuple[Event, str | None]]:
        """The latest events of a kind with their dossier's code; events of no dossier only for `Scope(None)`."""
        with self.register.session() as s:
            query = (select(Event, Dossier.code).outerjoin(Dossier, Dossier.id == Event.dossier_id)
                     .where(Event.action == action).order_by(Event.id.desc()).limit(limit))
            if scope.agencies is not None:
                query = query.where(Dossier.agency.in_(scope.agencies))
            return [(e, code) for e, code in s.execute(query)]

    def daily(self, scope: Scope, days: int, today: date) -> list[DayCount]:
        """Dossiers received and digitized per day (UTC+7 days) over the last `days` days."""
        start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), tzinfo=UTC) - timedelta(hours=7)
        with self.register.session() as s:
            received = s.scalars(scope.where(select(Dossier.received_at).where(Dossier.received_at >= start)))
            digitized = s.scalars(scope.where(
                select(Event.at).join(Dossier, Dossier.id == Event.dossier_id)
                .where(Event.action == Action.DIGITIZED, Event.at >= start)))
            counts = {today - timedelta(days=i): [0, 0] for i in range(days)}
            for column, moments in ((0, received), (1, digitized)):
                for moment in moments:
                    day = _vietnam_day(moment)
                    if day in counts:
                        counts[day][column] += 1
        return [DayCount(day, r, d) for day, (r, d) in sorted(counts.items())]

    def timeliness(self, scope: Scope, now: datetime) -> dict[str, tuple[int, int]]:
        """Per procedure: (dossiers with a due date, of them finished or still open within it)."""
        with self.register.session() as s:
            query = scope.where(select(Dossier.procedure_id, Dossier.due_at, Dossier.returned_at)
                                .where(Dossier.due_at.is_not(None)))
            out: dict[str, list[int]] = {}
            for procedure, due, returned in s.execute(query):
                if due is None:  # (the WHERE above leaves none: this tells the type checker)
                    continue
                tally = out.setdefault(procedure or "", [0, 0])
                tally[0] += 1
                tally[1] += int(_utc(returned or now) <= _utc(due))
        return {k: (v[0], v[1]) for k, v in out.items()}

    def summaries(self, dossier_ids: list[int], scope: Scope) -> dict[int, Dossier]:
        """The dossiers behind a page of search results, within the scope (a search is scoped too)."""
        if not dossier_ids:
            return {}
        with self.register.session() as s:
            return {d.id: d for d in s.scalars(scope.where(select(Dossier).where(Dossier.id.in_(dossier_ids))))}

    # --- the public kiosk ---
    def kiosk(self, code: str) -> KioskStatus | None:
        """Status by the code on the receipt slip; no name, number or address leaves here."""
        with self.register.session() as s:
            row = s.execute(select(Dossier.id, Dossier.code, Dossier.legal_status, Dossier.state,
                                   Dossier.received_at, Dossier.due_at, Dossier.returned_at)
                            .where(Dossier.code == code)).first()
            if row is None:
                return None
            signed = s.scalar(select(func.count()).select_from(File)
                              .where(File.dossier_id == row.id, File.role == FileRole.SIGNED_RESULT)) or 0
            return KioskStatus(row.code, row.legal_status, row.state, row.received_at, row.due_at,
                               result_ready=signed > 0 or row.legal_status >= 9, returned=row.returned_at is not None)

    # --- saved searches ---
    def saved_searches(self, user_id: int) -> list[SavedSearch]:
        with self.register.session() as s:
            return list(s.scalars(select(SavedSearch).where(SavedSearch.user_id == user_id)
                                  .order_by(SavedSearch.name)))

    def save_search(self, user_id: int, name: str, query: str, filters: dict[str, Any]) -> None:
        with self.register.session() as s:
            s.add(SavedSearch(user_id=user_id, name=name[:128], query=query[:512], filters=filters))

    def delete_saved_search(self, user_id: int, search_id: int) -> bool:
        with self.register.session() as s:
            row = s.get(SavedSearch, search_id)
            if row is None or row.user_id != user_id:
                return False
            s.delete(row)
            return True


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _vietnam_day(moment: datetime) -> date:
    return (_utc(moment) + timedelta(hours=7)).date()
