"""The dossier register's tables (design.md, "Register"), as SQLAlchemy models.

The same models serve SQLite (embedded) and PostgreSQL (a province); the schema itself is created
and changed only by the Alembic migrations in `storage/migrations`, never by `create_all`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, stored as UTC.

    SQLite keeps no time zone: SQLAlchemy writes an aware time's wall clock and drops its offset,
    so a due date of 17:00+07:00 came back as 17:00 and was read as UTC, seven hours late (and
    compared wrongly with UTC times in queries). Aware times are turned to UTC before they are
    written; on SQLite they are then stored naive, as every UTC time already was.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UtcDateTime()}


class Dossier(Base):
    """One received dossier: a file, or a folder of page images, dropped by a scanner station."""

    __tablename__ = "dossier"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    source_name: Mapped[str] = mapped_column(String(255))
    agency: Mapped[str] = mapped_column(String(64))
    station: Mapped[str | None] = mapped_column(String(128))
    channel: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    procedure_id: Mapped[str | None] = mapped_column(String(64), index=True)
    procedure_confidence: Mapped[float | None] = mapped_column(Float)
    procedure_source: Mapped[str | None] = mapped_column(String(16))
    suggestions: Mapped[list[Any] | None] = mapped_column(JSON)
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    legal_status: Mapped[int] = mapped_column(Integer, default=2)
    state: Mapped[str] = mapped_column(String(32), index=True)
    due_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    page_count: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    files: Mapped[list[File]] = relationship(back_populates="dossier", order_by="File.id")
    pages: Mapped[list[Page]] = relationship(back_populates="dossier", order_by="Page.number")


class File(Base):
    """A stored object that belongs to a dossier; originals are write-once."""

    __tablename__ = "file"
    __table_args__ = (UniqueConstraint("dossier_id", "role", "object_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    ordinal: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(255))
    object_key: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    dossier: Mapped[Dossier] = relationship(back_populates="files")


class Page(Base):
    """One page of a dossier as read by OCR (or taken from a good text layer)."""

    __tablename__ = "page"
    __table_args__ = (UniqueConstraint("dossier_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    rotation: Mapped[int] = mapped_column(Integer, default=0)
    skew: Mapped[float] = mapped_column(Float, default=0.0)
    blank: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str | None] = mapped_column(String(32))
    rescan_reason: Mapped[str | None] = mapped_column(String(128))

    dossier: Mapped[Dossier] = relationship(back_populates="pages")


class Event(Base):
    """Append-only history: the lifecycle of every dossier and the audit log of every access."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Set for events that must be written once (a resumed step, a re-dropped result): unique.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)


class Step(Base):
    """Which pipeline step of which dossier is done: the key that makes every step idempotent."""

    __tablename__ = "step"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    seconds: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)


class SigningTask(Base):
    """One signature a result needs: a step of the procedure's signer chain."""

    __tablename__ = "signing_task"
    __table_args__ = (UniqueConstraint("file_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("file.id"))
    step: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(128), index=True)
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    signer_certificate: Mapped[str | None] = mapped_column(Text)
    validation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    signed_file_id: Mapped[int | None] = mapped_column(ForeignKey("file.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_at: Mapped[datetime | None]


class User(Base):
    """A person (or a scanner station) with roles; passwords are stored only as hashes."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    full_name: Mapped[str] = mapped_column(String(255), default="")
    roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ApiToken(Base):
    """A bearer token for a scanner station or a script; only its hash is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class RoleAssignment(Base):
    """Who holds a signer role (catalog `signers`, e.g. lanh_dao_ubnd_xa) in this agency."""

    __tablename__ = "role_assignment"

    role: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(128), primary_key=True)


class SignPreparation(Base):
    """A document prepared for a signature made on an official's PC (interrupted PAdES signing).

    Bound to one task, one user and one certificate until `expires_at`; used once (`used_at`).
    `state` is the `signing.external.PreparedSignature` JSON without its PDF, which is `pdf`.
    """

    __tablename__ = "sign_preparation"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("signing_task.id"), index=True)
    username: Mapped[str] = mapped_column(String(128))
    certificate_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class Outbox(Base):
    """A message for the provincial system, committed with the change it reports (storage/outbox.py).

    `facts` is a snapshot of the dossier's plain facts when the change happened, so a message sent
    late still tells the province what was true then; file links are made only when it is sent.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    kind: Mapped[str] = mapped_column(String(32))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
