"""The dossier register: the SQL store of dossiers, files, pages, events, steps and signing tasks.

One class wraps one database (SQLite file or PostgreSQL URL). It knows no business rule: callers
(`workers/`, the CLI) decide what to write; the register offers one typed method per business
write, and makes each one committed transaction, so a crash leaves either all of it or none. No
SQLAlchemy session leaves this package: what a caller needs is a method here.

Events are append-only. An event written with a `key` is written once: writing it again (a
resumed step, a re-dropped result) is a no-op. Inside `step_events(dossier, step)` every event
gets such a key from the step and its content, so a step re-run after a crash between its writes
and its `finish_step` does not record its events twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from storage import search as fulltext
from storage.migrate import upgrade
from storage.models import Dossier, Event, File, Page, RoleAssignment, SigningTask, SignPreparation, Step
from storage.outbox import OutboxRegister
from storage.report_rows import ReportRows
from storage.vocabulary import Action, DossierState, FileRole, ProcedureSource, StepState

# Kept as names for the callers that compare states; the definitions are `DossierState`'s.
RECEIVING, RECEIVED, DIGITIZING, DIGITIZED, NEEDS_REVIEW, FAILED = (
    DossierState.RECEIVING, DossierState.RECEIVED, DossierState.DIGITIZING, DossierState.DIGITIZED,
    DossierState.NEEDS_REVIEW, DossierState.FAILED)

EventSpec = tuple[str, str, dict[str, Any] | None]  # actor, action, detail
# Fields of a dossier that `update` may change: anything else is a programming error.
UPDATABLE = frozenset({"code", "station", "channel", "received_at", "procedure_id", "procedure_confidence",
                       "procedure_source", "suggestions", "fields", "legal_status", "state", "due_at",
                       "finished_at", "returned_at", "page_count"})

_step_scope: ContextVar[str | None] = ContextVar("sohoa_step_scope", default=None)


MMAP_BYTES = 4 << 30
"""SQLite reads the register through a shared memory map (capped by SQLite's build, 2 GB here)
instead of copying pages into each connection's small private cache: with 25 threads searching a
1M-page register at once, 100 searches took 14-20 s instead of 19-24 s."""


def make_engine(url: str) -> Engine:
    """An engine tuned for the register's backend.

    SQLite gets WAL (readers never block the writer), a busy timeout (the watcher and the pipeline
    threads write concurrently), enforced foreign keys and a memory map. Its pool holds a connection for each of
    the 40 threads a web process runs requests in (anyio's default): with SQLAlchemy's default 15,
    50 people searching at once waited for a connection and the 31st past 30 s got an error.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=10, max_overflow=40)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def step_events(dossier_id: int, step: str) -> Iterator[None]:
    """Within the block, every event is keyed by (dossier, step, action, detail): written once."""
    token = _step_scope.set(f"{dossier_id}:{step}")
    try:
        yield
    finally:
        _step_scope.reset(token)


def _scoped_key(action: str, detail: dict[str, Any] | None) -> str | None:
    scope = _step_scope.get()
    if scope is None:
        return None
    digest = hashlib.sha256(json.dumps(detail, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"step:{scope}:{action}:{digest}"


@dataclass(frozen=True)
class NewFile:
    """A stored object about to be recorded: what the object store answered for it."""

    role: FileRole
    name: str
    object_key: str
    sha256: str
    size: int
    media_type: str
    ordinal: int = 1


@dataclass(frozen=True)
class TaskPlan:
    """One signing step to open: its number, role, and who may sign it."""

    number: int
    role: str
    assignees: tuple[str, ...]


@dataclass(frozen=True)
class AttachedResult:
    """What `attach_result` did: `new` is False when this very PDF was attached before."""

    file_id: int
    sha256: str
    tasks: list[SigningTask]
    new: bool


class Register(OutboxRegister, ReportRows):
    """Reads and writes of the register; every method is its own committed transaction."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work, committed when the block ends: for this class, and for tests reading raw rows."""
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
                              code=code, station=station, state=DossierState.RECEIVING)
            s.add(dossier)
            s.flush()
            self._event(s, dossier.id, actor, Action.RECEIVED, {"source": source_name, "code": code})
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

    def update(self, dossier_id: int, *, event: EventSpec | None = None, **fields: Any) -> None:
        """Change a dossier's fields and, in the same transaction, record why (actor, action, detail).

        A field the dossier does not have raises `TypeError`: a misspelt name must never be dropped.
        """
        unknown = sorted(set(fields) - UPDATABLE)
        if unknown:
            raise TypeError(f"Register.update: a dossier has no field(s) {', '.join(unknown)}")
        with self.session() as s:
            dossier = s.get_one(Dossier, dossier_id)
            for name, value in fields.items():
                setattr(dossier, name, value)
            if event:
                self._event(s, dossier_id, *event)

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

    # --- classification ---
    def classify(self, dossier_id: int, *, procedure_id: str | None, confidence: float,
                 suggestions: list[dict[str, Any]], fields: dict[str, Any], due_at: datetime | None,
                 page_kinds: Sequence[str | None], event: EventSpec) -> None:
        """The classifier's outcome: procedure, due date, fields and page types, with its event."""
        with self.session() as s:
            dossier = s.get_one(Dossier, dossier_id)
            dossier.procedure_id, dossier.procedure_confidence = procedure_id, confidence
            dossier.procedure_source, dossier.suggestions = ProcedureSource.AUTO, suggestions
            dossier.fields, dossier.due_at = fields, due_at
            pages = s.scalars(select(Page).where(Page.dossier_id == dossier_id).order_by(Page.number))
            for page, kind in zip(pages, page_kinds, strict=False):
                page.kind = kind
            self._event(s, dossier_id, *event)

    def file_by_reviewer(self, dossier_id: int, *, procedure_id: str, due_at: datetime | None,
                         reviewer: str) -> str | None:
        """A reviewer files the dossier under `procedure_id`; returns the procedure it had before.

        A dossier waiting for review becomes `digitized`; one in any other state keeps it.
        """
        with self.session() as s:
            dossier = s.get_one(Dossier, dossier_id)
            previous = dossier.procedure_id
            dossier.procedure_id, dossier.procedure_confidence = procedure_id, 1.0
            dossier.procedure_source, dossier.due_at = ProcedureSource.REVIEWER, due_at
            if dossier.state == DossierState.NEEDS_REVIEW:
                dossier.state = DossierState.DIGITIZED
            self._event(s, dossier_id, reviewer, Action.REVIEWED,
                        {"procedure": procedure_id, "was": previous, "at": datetime.now(UTC).isoformat()})
            return previous

    def reviewer_filed(self) -> list[tuple[int, str]]:
        """(dossier, procedure) of every dossier a reviewer filed: the classifier's training labels."""
        with self.session() as s:
            rows = s.execute(select(Dossier.id, Dossier.procedure_id)
                             .where(Dossier.procedure_source == ProcedureSource.REVIEWER)
                             .order_by(Dossier.id))
            return [(did, pid) for did, pid in rows if pid]

    # --- files and pages ---
    def add_file(self, dossier_id: int, *, role: str, name: str, object_key: str, sha256: str,
                 size: int, media_type: str, ordinal: int = 1) -> File:
        """Record a stored object; recording the same key at the same place again updates that record.

        (Original keys hold their SHA-256, so only derived files, such as a re-made digitized
        copy, can change under the same key. Identical pages of one folder share a key and are
        told apart by their ordinal.)
        """
        with self.session() as s:
            return self._file(s, dossier_id, NewFile(FileRole(role), name, object_key, sha256, size,
                                                     media_type, ordinal))

    def _file(self, s: Session, dossier_id: int, new: NewFile) -> File:
        existing = s.scalar(select(File).where(File.dossier_id == dossier_id, File.role == new.role,
                                               File.object_key == new.object_key, File.ordinal == new.ordinal))
        if existing:
            existing.sha256, existing.size = new.sha256, new.size
            return existing
        file = File(dossier_id=dossier_id, role=new.role, name=new.name, object_key=new.object_key,
                    sha256=new.sha256, size=new.size, media_type=new.media_type, ordinal=new.ordinal)
        s.add(file)
        s.flush()
        return file

    def files(self, dossier_id: int, role: str) -> list[File]:
        with self.session() as s:
            return list(s.scalars(select(File).where(File.dossier_id == dossier_id, File.role == role)
                                  .order_by(File.ordinal, File.id)))

    def file(self, file_id: int) -> File:
        with self.session() as s:
            return s.get_one(File, file_id)

    def replace_pages(self, dossier_id: int, pages: Sequence[dict[str, Any]]) -> None:
        """Store a dossier's pages, replacing any earlier reading (a re-run OCR step)."""
        with self.session() as s:
            s.execute(delete(Page).where(Page.dossier_id == dossier_id))
            s.add_all(Page(dossier_id=dossier_id, **page) for page in pages)
            s.get_one(Dossier, dossier_id).page_count = len(pages)

    def pages(self, dossier_id: int) -> list[Page]:
        with self.session() as s:
            return list(s.scalars(select(Page).where(Page.dossier_id == dossier_id).order_by(Page.number)))

    # --- search ---
    def index_dossier(self, dossier_id: int, pages: Sequence[tuple[int, str]]) -> None:
        """(Re)index a dossier's pages; indexing twice leaves one copy."""
        with self.session() as s:
            fulltext.index_dossier(s, dossier_id, pages)

    def search(self, query: str, *, filters: fulltext.SearchFilters | None = None,
               limit: int = 20) -> list[fulltext.SearchHit]:
        """Dossiers matching every word of `query`, best first (`storage.search`)."""
        with self.session() as s:
            return fulltext.search(s, query, filters=filters or fulltext.SearchFilters(), limit=limit)

    # --- events ---
    def add_event(self, dossier_id: int | None, actor: str, action: str,
                  detail: dict[str, Any] | None = None, *, key: str | None = None) -> bool:
        """Append an event; with a `key` already recorded, nothing is written. True when written."""
        key = key or _scoped_key(action, detail)
        try:
            with self.session() as s:
                return self._event(s, dossier_id, actor, action, detail, key=key)
        except IntegrityError:
            if key is None:
                raise
            return False  # another process wrote the same key between our check and our insert

    def _event(self, s: Session, dossier_id: int | None, actor: str, action: str,
               detail: dict[str, Any] | None, *, key: str | None = None) -> bool:
        key = key or _scoped_key(action, detail)
        if key is not None and s.scalar(select(Event.id).where(Event.key == key)) is not None:
            return False
        s.add(Event(dossier_id=dossier_id, actor=actor, action=action, detail=detail, key=key))
        if dossier_id is not None:
            self._enqueue_outbox(s, dossier_id, action)  # the province's message, in the same transaction
        return True

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

    def done_steps(self, dossier_id: int) -> set[str]:
        with self.session() as s:
            return set(s.scalars(select(Step.name).where(Step.dossier_id == dossier_id,
                                                         Step.state == StepState.DONE)))

    def start_step(self, dossier_id: int, name: str, *, state: DossierState | None = None) -> None:
        """Mark the step running (one more attempt), and the dossier in `state` when given."""
        with self.session() as s:
            step = s.get(Step, (dossier_id, name)) or Step(dossier_id=dossier_id, name=name, attempts=0)
            step.state, step.started_at, step.error = StepState.RUNNING, datetime.now(UTC), None
            step.attempts += 1
            s.add(step)
            if state is not None:
                s.get_one(Dossier, dossier_id).state = state

    def finish_step(self, dossier_id: int, name: str, seconds: float) -> None:
        with self.session() as s:
            step = s.get_one(Step, (dossier_id, name))
            step.state, step.finished_at, step.seconds = StepState.DONE, datetime.now(UTC), seconds

    def fail_step(self, dossier_id: int, name: str, error: str, *, state: DossierState,
                  event: EventSpec) -> None:
        """The step failed: its row, the dossier's state and the event, in one transaction."""
        with self.session() as s:
            step = s.get_one(Step, (dossier_id, name))
            step.state, step.finished_at, step.error = StepState.FAILED, datetime.now(UTC), error
            s.get_one(Dossier, dossier_id).state = state
            self._event(s, dossier_id, *event)

    def reset_steps(self, dossier_id: int, *, actor: str) -> None:
        """Forget every step not done and put the dossier back to `received`, so `retry` runs them again."""
        with self.session() as s:
            s.execute(delete(Step).where(Step.dossier_id == dossier_id, Step.state != StepState.DONE))
            s.get_one(Dossier, dossier_id).state = DossierState.RECEIVED
            self._event(s, dossier_id, actor, Action.RETRY, None)

    # --- results and their signing tasks ---
    def assign_role(self, role: str, person: str, *, actor: str) -> None:
        with self.session() as s:
            if s.get(RoleAssignment, (role, person)) is None:
                s.add(RoleAssignment(role=role, username=person))
            self._event(s, None, actor, Action.ROLE_ASSIGNED, {"role": role, "person": person})

    def role_assignments(self) -> dict[str, list[str]]:
        with self.session() as s:
            result: dict[str, list[str]] = {}
            for row in s.scalars(select(RoleAssignment).order_by(RoleAssignment.role, RoleAssignment.username)):
                result.setdefault(row.role, []).append(row.username)
            return result

    def attach_result(self, dossier_id: int, file: NewFile, steps: Sequence[TaskPlan], *,
                      actor: str) -> AttachedResult:
        """Record a result PDF and open one signing task per step, in one transaction.

        The same PDF (same SHA-256) attached to the same dossier again changes nothing and answers
        the tasks it opened the first time, with `new=False`.
        """
        with self.session() as s:
            existing = s.scalar(select(File).where(File.dossier_id == dossier_id, File.role == FileRole.RESULT,
                                                   File.sha256 == file.sha256))
            if existing is not None:
                return AttachedResult(existing.id, existing.sha256, self._tasks_of(s, existing.id), new=False)
            row = self._file(s, dossier_id, file)
            tasks = [SigningTask(dossier_id=dossier_id, file_id=row.id, step=p.number, role=p.role,
                                 assignee=",".join(p.assignees), state="waiting") for p in steps]
            s.add_all(tasks)
            s.flush()
            self._event(s, dossier_id, actor, Action.RESULT_ADDED,
                        {"file": file.name, "sha256": file.sha256, "steps": [p.role for p in steps]})
            return AttachedResult(row.id, row.sha256, tasks, new=True)

    @staticmethod
    def _tasks_of(s: Session, file_id: int) -> list[SigningTask]:
        return list(s.scalars(select(SigningTask).where(SigningTask.file_id == file_id).order_by(SigningTask.step)))

    def task(self, task_id: int) -> SigningTask | None:
        with self.session() as s:
            return s.get(SigningTask, task_id)

    def tasks_of_file(self, file_id: int) -> list[SigningTask]:
        """Every task of one result, in step order: its signing chain."""
        with self.session() as s:
            return self._tasks_of(s, file_id)

    def tasks_in_state(self, state: str) -> list[SigningTask]:
        with self.session() as s:
            return list(s.scalars(select(SigningTask).where(SigningTask.state == state).order_by(SigningTask.id)))

    def refuse_signature(self, task_id: int, *, person: str, validation: dict[str, Any]) -> None:
        """A signature that did not verify: the task is refused, with the problems, and never signed."""
        with self.session() as s:
            row = s.get_one(SigningTask, task_id)
            row.state, row.validation = "refused", validation
            self._event(s, row.dossier_id, person, Action.SIGNATURE_REFUSED,
                        {"task": task_id, "problems": validation.get("problems")})

    def record_signature(self, task_id: int, signed: NewFile, *, person: str, signer: str,
                         validation: dict[str, Any], completes: bool, legal_status: int) -> None:
        """A verified signature: its file, the task verified, the event, and, when it is the chain's
        last, the dossier's legal status and finish time: one transaction."""
        with self.session() as s:
            row = s.get_one(SigningTask, task_id)
            file = self._file(s, row.dossier_id, signed)
            row.state, row.validation, row.signed_file_id = "verified", validation, file.id
            row.signer_certificate, row.signed_at = signer, datetime.now(UTC)
            self._event(s, row.dossier_id, person, Action.SIGNED,
                        {"task": task_id, "step": row.step, "role": row.role, "signer": signer})
            if completes:
                dossier = s.get_one(Dossier, row.dossier_id)
                dossier.legal_status, dossier.finished_at = legal_status, datetime.now(UTC)
                self._event(s, row.dossier_id, "signing", Action.RESULT_SIGNED, {"file": signed.object_key})

    def return_result(self, dossier_id: int, *, actor: str, from_status: int, to_status: int) -> bool:
        """The signed result handed back: `to_status`, the return time and the event, in one transaction.

        Only from `from_status` (the result fully signed), checked in the UPDATE itself, so two
        clerks pressing the button at once record one return; False when nothing changed.
        """
        with self.session() as s:
            changed = s.execute(update(Dossier).where(Dossier.id == dossier_id, Dossier.legal_status == from_status)
                                .values(legal_status=to_status, returned_at=datetime.now(UTC)))
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                return False
            self._event(s, dossier_id, actor, Action.RETURNED, None)
            return True

    # --- overview ---
    def counts_by_state(self) -> dict[str, int]:
        with self.session() as s:
            rows = s.execute(select(Dossier.state, func.count()).group_by(Dossier.state))
            return {state: count for state, count in rows}

    def count_events(self, action: str) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(Event).where(Event.action == action)) or 0

    # --- archive export (reads only; used by workers/archive.py) ---
    def dossier_ids_received(self, *, start: datetime, end: datetime, agency: str | None = None,
                             procedure: str | None = None) -> list[int]:
        """Dossiers received in [start, end), optionally of one agency and one procedure, oldest first."""
        with self.session() as s:
            query = select(Dossier.id).where(Dossier.received_at >= start, Dossier.received_at < end)
            if agency:
                query = query.where(Dossier.agency == agency)
            if procedure:
                query = query.where(Dossier.procedure_id == procedure)
            return list(s.scalars(query.order_by(Dossier.received_at, Dossier.id)))

    def signing_tasks(self, dossier_id: int) -> list[SigningTask]:
        """Every signing task of a dossier, by result file then step."""
        with self.session() as s:
            return list(s.scalars(select(SigningTask).where(SigningTask.dossier_id == dossier_id)
                                  .order_by(SigningTask.file_id, SigningTask.step)))

    def file_by_id(self, file_id: int) -> File | None:
        with self.session() as s:
            return s.get(File, file_id)

    # --- preparations of browser signing (sign_preparation) ---
    def add_preparations(self, prepared: Sequence[tuple[SignPreparation, dict[str, Any]]], *, actor: str) -> None:
        """Keep a batch's prepared documents until their signatures come back or they expire, each
        with its `signature_prepared` event (the detail given): one transaction for the batch."""
        with self.session() as s:
            for preparation, detail in prepared:
                s.add(preparation)
                self._event(s, self._task_dossier(s, preparation.task_id), actor, Action.SIGNATURE_PREPARED, detail)

    @staticmethod
    def _task_dossier(s: Session, task_id: int) -> int:
        return s.get_one(SigningTask, task_id).dossier_id

    def preparation(self, preparation_id: str) -> SignPreparation | None:
        with self.session() as s:
            return s.get(SignPreparation, preparation_id)

    def preparations(self, preparation_ids: Sequence[str]) -> dict[str, SignPreparation]:
        """The preparations among `preparation_ids` that exist, by id: one query for a batch."""
        with self.session() as s:
            rows = s.scalars(select(SignPreparation).where(SignPreparation.id.in_(set(preparation_ids))))
            return {row.id: row for row in rows}

    def claim_preparations(self, preparation_ids: Sequence[str]) -> set[str]:
        """Mark preparations used, in one transaction; the ids claimed now (each is used once, even in a race)."""
        claimed = set()
        now = datetime.now(UTC)
        with self.session() as s:
            for preparation_id in dict.fromkeys(preparation_ids):
                done = s.execute(update(SignPreparation)
                                 .where(SignPreparation.id == preparation_id, SignPreparation.used_at.is_(None))
                                 .values(used_at=now, pdf=b""))
                if getattr(done, "rowcount", 0):
                    claimed.add(preparation_id)
        return claimed

    def drop_preparations(self, *, expired_before: datetime) -> int:
        """Forget used preparations and those expired before `expired_before`; how many were dropped."""
        with self.session() as s:
            dropped = s.execute(delete(SignPreparation).where(
                (SignPreparation.used_at.is_not(None)) | (SignPreparation.expires_at < expired_before)))
            return int(getattr(dropped, "rowcount", 0))
