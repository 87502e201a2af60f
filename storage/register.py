"""The dossier register: the SQL store of dossiers, files, pages, events and pipeline steps.

One class wraps one database (SQLite file or PostgreSQL URL). It knows no business rule: callers
(`workers/`, `web/`, the CLI) decide what to write; the register makes each write one committed
transaction so that a crash leaves either all of it or none.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from storage.migrate import upgrade
from storage.models import Dossier, Event, File, Page, Step
from storage.outbox import OutboxRegister
from storage.report_rows import ReportRows

# Pipeline states of a dossier (legal statuses 1-10 are a separate field, domain.md).
RECEIVING, RECEIVED, DIGITIZING, DIGITIZED, NEEDS_REVIEW, FAILED = (
    "receiving", "received", "digitizing", "digitized", "needs_review", "failed")
STATES = (RECEIVING, RECEIVED, DIGITIZING, DIGITIZED, NEEDS_REVIEW, FAILED)


def make_engine(url: str) -> Engine:
    """An engine tuned for the register's backend.

    SQLite gets WAL (readers never block the writer), a busy timeout (the watcher and the pipeline
    threads write concurrently) and enforced foreign keys.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class Register(OutboxRegister, ReportRows):
    """Reads and writes of the register; every method is its own committed transaction."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        with self._sessions.begin() as session:
            yield session

    # --- dossiers ---
    def find_by_fingerprint(self, fingerprint: str) -> Dossier | None:
        with self.session() as s:
            return s.scalar(select(Dossier).where(Dossier.fingerprint == fingerprint))

    def create_dossier(self, *, fingerprint: str, source_name: str, agency: str, code: str | None,
                       station: str | None, actor: str) -> Dossier:
        """A new dossier in state `receiving`, with its first event, in one transaction."""
        with self.session() as s:
            if code and s.scalar(select(Dossier.id).where(Dossier.code == code)):
                code = None  # a code already taken is kept in the event, never a reason to refuse
            dossier = Dossier(fingerprint=fingerprint, source_name=source_name, agency=agency,
                              code=code, station=station, state=RECEIVING)
            s.add(dossier)
            s.flush()
            s.add(Event(dossier_id=dossier.id, actor=actor, action="received",
                        detail={"source": source_name, "code": code}))
            return dossier

    def get(self, dossier_id: int, *, with_pages: bool = False) -> Dossier | None:
        with self.session() as s:
            options = [selectinload(Dossier.files)]
            if with_pages:
                options.append(selectinload(Dossier.pages))
            return s.get(Dossier, dossier_id, options=options)

    def find_by_code(self, code: str) -> Dossier | None:
        with self.session() as s:
            return s.scalar(select(Dossier).where(Dossier.code == code))

    def update(self, dossier_id: int, *, event: tuple[str, str, dict[str, Any] | None] | None = None,
               **fields: Any) -> None:
        """Change a dossier's fields and, in the same transaction, record why (actor, action, detail)."""
        with self.session() as s:
            dossier = s.get_one(Dossier, dossier_id)
            for name, value in fields.items():
                setattr(dossier, name, value)
            if event:
                actor, action, detail = event
                s.add(Event(dossier_id=dossier_id, actor=actor, action=action, detail=detail))
                self._enqueue_outbox(s, dossier_id, action)  # the province's message, same transaction

    def set_code_if_free(self, dossier_id: int, code: str) -> bool:
        """Give the dossier its code unless another dossier has it; True when set."""
        with self.session() as s:
            if s.scalar(select(Dossier.id).where(Dossier.code == code, Dossier.id != dossier_id)):
                return False
            s.get_one(Dossier, dossier_id).code = code
            return True

    def dossier_ids(self, *, states: Sequence[str]) -> list[int]:
        with self.session() as s:
            return list(s.scalars(select(Dossier.id).where(Dossier.state.in_(states)).order_by(Dossier.id)))

    # --- files and pages ---
    def add_file(self, dossier_id: int, *, role: str, name: str, object_key: str, sha256: str,
                 size: int, media_type: str, ordinal: int = 1) -> File:
        """Record a stored object; recording the same key again updates that record, never adds one.

        (Original keys hold their SHA-256, so only derived files, such as a re-made digitized
        copy, can change under the same key.)
        """
        with self.session() as s:
            existing = s.scalar(select(File).where(File.dossier_id == dossier_id, File.role == role,
                                                   File.object_key == object_key))
            if existing:
                existing.sha256, existing.size = sha256, size
                return existing
            file = File(dossier_id=dossier_id, role=role, name=name, object_key=object_key,
                        sha256=sha256, size=size, media_type=media_type, ordinal=ordinal)
            s.add(file)
            s.flush()
            return file

    def files(self, dossier_id: int, role: str) -> list[File]:
        with self.session() as s:
            return list(s.scalars(select(File).where(File.dossier_id == dossier_id, File.role == role)
                                  .order_by(File.ordinal, File.id)))

    def replace_pages(self, dossier_id: int, pages: Sequence[dict[str, Any]]) -> None:
        """Store a dossier's pages, replacing any earlier reading (a re-run OCR step)."""
        with self.session() as s:
            s.execute(delete(Page).where(Page.dossier_id == dossier_id))
            s.add_all(Page(dossier_id=dossier_id, **page) for page in pages)
            s.get_one(Dossier, dossier_id).page_count = len(pages)

    def pages(self, dossier_id: int) -> list[Page]:
        with self.session() as s:
            return list(s.scalars(select(Page).where(Page.dossier_id == dossier_id).order_by(Page.number)))

    # --- events ---
    def add_event(self, dossier_id: int | None, actor: str, action: str,
                  detail: dict[str, Any] | None = None) -> None:
        with self.session() as s:
            s.add(Event(dossier_id=dossier_id, actor=actor, action=action, detail=detail))

    def events(self, dossier_id: int | None = None, *, action: str | None = None,
               limit: int | None = None, newest_first: bool = False) -> list[Event]:
        with self.session() as s:
            query = select(Event)
            if dossier_id is not None:
                query = query.where(Event.dossier_id == dossier_id)
            if action:
                query = query.where(Event.action == action)
            query = query.order_by(Event.id.desc() if newest_first else Event.id).limit(limit)
            return list(s.scalars(query))

    # --- pipeline steps (the idempotency keys) ---
    def step(self, dossier_id: int, name: str) -> Step | None:
        with self.session() as s:
            return s.get(Step, (dossier_id, name))

    def start_step(self, dossier_id: int, name: str) -> None:
        with self.session() as s:
            step = s.get(Step, (dossier_id, name)) or Step(dossier_id=dossier_id, name=name, attempts=0)
            step.state, step.started_at, step.error = "running", datetime.now(UTC), None
            step.attempts += 1
            s.add(step)

    def finish_step(self, dossier_id: int, name: str, seconds: float) -> None:
        with self.session() as s:
            step = s.get_one(Step, (dossier_id, name))
            step.state, step.finished_at, step.seconds = "done", datetime.now(UTC), seconds

    def fail_step(self, dossier_id: int, name: str, error: str) -> None:
        with self.session() as s:
            step = s.get_one(Step, (dossier_id, name))
            step.state, step.finished_at, step.error = "failed", datetime.now(UTC), error

    def reset_steps(self, dossier_id: int) -> None:
        """Forget every step not done, so `retry` runs them again."""
        with self.session() as s:
            s.execute(delete(Step).where(Step.dossier_id == dossier_id, Step.state != "done"))

    # --- overview ---
    def counts_by_state(self) -> dict[str, int]:
        with self.session() as s:
            rows = s.execute(select(Dossier.state, func.count()).group_by(Dossier.state))
            return {state: count for state, count in rows}

    def count_events(self, action: str) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(Event).where(Event.action == action)) or 0
