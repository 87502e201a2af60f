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
    Index,
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
    """A moment, stored in UTC and read back with its zone on every backend.

    SQLite keeps no zone: without this, an aware time in +07:00 (a due date at 17:00 Vietnam time)
    was stored as its wall-clock digits and read back as if UTC, seven hours off, while times made
    in UTC were right. Naive values are taken as UTC, as the rest of sohoa writes them.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


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
    # The ordinal is part of the identity: a folder may hold the same page twice (two copies of one
    # ID card), stored once by content but kept as two pages of the dossier.
    __table_args__ = (UniqueConstraint("dossier_id", "role", "object_key", "ordinal", name="uq_file_place"),)

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
    # Words OCR read with low confidence (`SOHOA_UNSURE_WORD_CONFIDENCE`), marked on the page view.
    unsure_words: Mapped[list[Any] | None] = mapped_column(JSON)

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
    # Added by 0004 (the web): the agencies whose dossiers the person may read, and login lockout.
    agencies: Mapped[list[Any]] = mapped_column(JSON, default=list)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime | None] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token for a scanner station or a script; only its hash is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    # Added by 0004: the agency a station uploads for, an optional end, and revocation.
    agency: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


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


class Agency(Base):
    """A commune, ward or department whose dossiers a deployment keeps (a province runs many)."""

    __tablename__ = "agency"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")


class WebSession(Base):
    """A signed-in browser: only the hash of the cookie's token is kept, with its CSRF token."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))


class SavedSearch(Base):
    """A search a person keeps to run again (query and filters), per user."""

    __tablename__ = "saved_search"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    query: Mapped[str] = mapped_column(String(512))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditRow(Base):
    """One read or change of personal data; append-only (triggers) and hash-chained (storage/audit.py)."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    agency: Mapped[str] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32), index=True)
    dossiers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    purpose: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))


class RateHit(Base):
    """One counted hit of a rate limit (wrong passwords, kiosk look-ups) from one address.

    In the register, not in a web process's memory: every worker process of the web (and every
    machine behind a province's proxy) counts against the same limit.
    """

    __tablename__ = "rate_hit"
    __table_args__ = (Index("ix_rate_hit_bucket_key_at", "bucket", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column()
