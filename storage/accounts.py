"""People, scanner stations, their sessions and tokens: who may read which agencies' dossiers.

Passwords are kept only as argon2id hashes, session cookies and station tokens only as SHA-256
hashes of 32 random bytes (a database dump never lets anyone sign in). Failed logins are counted
per account and lock it for a while past a limit; an unknown name costs the same hash as a known
one, so timing does not tell which names exist. Every method is one committed transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import Agency, ApiToken, User, WebSession
from storage.register import Register

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password of anyone")
MIN_PASSWORD = 10


class Role(StrEnum):
    """What a person does in the centre; the web decides what each role may open."""

    STATION = "station"
    ARCHIVIST = "archivist"
    REVIEWER = "reviewer"
    OFFICIAL = "official"
    CLERK = "clerk"
    ADMIN = "admin"


class AccountError(ValueError):
    """A request about accounts that cannot be met; the message says why and what to do."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: the only thing the web hands to scoped queries and to the audit."""

    user_id: int
    username: str
    full_name: str
    role: Role
    agencies: tuple[str, ...]

    @property
    def all_agencies(self) -> bool:
        """Admins of the province read every agency's dossiers; everyone else only their own."""
        return self.role is Role.ADMIN

    @property
    def agency_label(self) -> str:
        return "*" if self.all_agencies else ",".join(self.agencies)


class LoginOutcome(StrEnum):
    OK = "ok"
    BAD = "bad"  # unknown name or wrong password: never said which
    LOCKED = "locked"
    DISABLED = "disabled"


@dataclass(frozen=True)
class Login:
    outcome: LoginOutcome
    principal: Principal | None = None
    locked_until: datetime | None = None
    just_locked: bool = False


@dataclass(frozen=True)
class UserInfo:
    username: str
    full_name: str
    role: str
    agencies: tuple[str, ...]
    active: bool
    locked_until: datetime | None


@dataclass(frozen=True)
class TokenInfo:
    id: int
    station: str
    agency: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _principal(user: User) -> Principal:
    return Principal(user.id, user.username, user.full_name, Role(user.roles[0]), tuple(user.agencies or ()))


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters / "
                           f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự")


class Accounts:
    """Users, agencies, sessions and station tokens of one register."""

    def __init__(self, register: Register) -> None:
        self.register = register

    # --- users ---
    def add_user(self, username: str, role: Role, agencies: tuple[str, ...], password: str | None,
                 full_name: str = "") -> Principal:
        """A new account; people need a password, stations sign in with tokens only."""
        if role is not Role.STATION:
            if password is None:
                raise AccountError("a person needs a password / người dùng cần mật khẩu")
            check_password(password)
        if role is not Role.ADMIN and not agencies:
            raise AccountError("give the agency the account works for (--agency CODE) / "
                               "cần mã cơ quan (--agency CODE)")
        with self.register.session() as s:
            if s.scalar(select(User.id).where(User.username == username)):
                raise AccountError(f"an account named {username!r} exists / tài khoản {username!r} đã có")
            for code in agencies:
                if s.get(Agency, code) is None:
                    s.add(Agency(code=code, name=code))
            user = User(username=username, full_name=full_name, roles=[role.value], agencies=list(agencies),
                        password_hash=_hasher.hash(password) if password else None, active=True,
                        failed_logins=0)
            s.add(user)
            s.flush()
            return _principal(user)

    def users(self) -> list[UserInfo]:
        with self.register.session() as s:
            return [UserInfo(u.username, u.full_name, u.roles[0] if u.roles else "", tuple(u.agencies or ()),
                             u.active, _aware(u.locked_until))
                    for u in s.scalars(select(User).order_by(User.username))]

    @staticmethod
    def _user(s: Session, username: str) -> User:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise AccountError(f"no account named {username!r} (see `sohoa users list`) / "
                               f"không có tài khoản {username!r}")
        return user

    def set_active(self, username: str, active: bool) -> None:
        """Disable (or enable again) an account; disabling also ends its open sessions."""
        with self.register.session() as s:
            user = self._user(s, username)
            user.active = active
            if not active:
                s.execute(delete(WebSession).where(WebSession.user_id == user.id))

    def reset_password(self, username: str, password: str) -> None:
        """A new password; it lifts a lock and ends the account's open sessions."""
        check_password(password)
        with self.register.session() as s:
            user = self._user(s, username)
            user.password_hash = _hasher.hash(password)
            user.failed_logins, user.locked_until = 0, None
            s.execute(delete(WebSession).where(WebSession.user_id == user.id))

    def authenticate(self, username: str, password: str, *, max_failures: int, lock_minutes: float,
                     now: datetime | None = None) -> Login:
        """Check a password; the `max_failures`-th wrong one in a row locks the account for a while."""
        now = now or datetime.now(UTC)
        with self.register.session() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None or user.password_hash is None or not user.roles or user.roles[0] == Role.STATION:
                _verify(_DUMMY_HASH, password)
                return Login(LoginOutcome.BAD)
            locked = _aware(user.locked_until)
            if locked and locked > now:
                return Login(LoginOutcome.LOCKED, locked_until=locked)
            if not _verify(user.password_hash, password):
                user.failed_logins += 1
                if user.failed_logins >= max_failures:
                    user.locked_until, user.failed_logins = now + timedelta(minutes=lock_minutes), 0
                    return Login(LoginOutcome.LOCKED, locked_until=user.locked_until, just_locked=True)
                return Login(LoginOutcome.BAD)
            if not user.active:
                return Login(LoginOutcome.DISABLED)
            user.failed_logins, user.locked_until = 0, None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            return Login(LoginOutcome.OK, _principal(user))

    # --- sessions ---
    def open_session(self, user_id: int, ip: str | None) -> tuple[str, str]:
        """A new session: (cookie token, CSRF token). Only the cookie's hash is stored."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.register.session() as s:
            s.add(WebSession(token_hash=token_hash(token), user_id=user_id, csrf=csrf, ip=ip))
        return token, csrf

    def session(self, token: str, *, idle_minutes: float, now: datetime | None = None
                ) -> tuple[Principal, str] | None:
        """The session's person and CSRF token, or None when unknown, idle too long or disabled.

        `last_seen_at` is written at most once a minute, so reading pages costs no write each time.
        """
        now = now or datetime.now(UTC)
        with self.register.session() as s:
            row = s.get(WebSession, token_hash(token))
            if row is None:
                return None
            seen = _aware(row.last_seen_at) or now
            user = s.get(User, row.user_id)
            if now - seen > timedelta(minutes=idle_minutes) or user is None or not user.active:
                s.delete(row)
                return None
            if (now - seen).total_seconds() > 60:
                row.last_seen_at = now
            return _principal(user), row.csrf

    def close_session(self, token: str) -> None:
        with self.register.session() as s:
            s.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))

    # --- station tokens ---
    def add_token(self, station: str, agency: str, expires_at: datetime | None = None) -> tuple[int, str]:
        """A new token for a scanner station (its account is made on first use); returned once."""
        token = "sohoa_" + secrets.token_urlsafe(32)
        with self.register.session() as s:
            user = s.scalar(select(User).where(User.username == station))
            if user is None:
                if s.get(Agency, agency) is None:
                    s.add(Agency(code=agency, name=agency))
                user = User(username=station, full_name=station, roles=[Role.STATION.value], agencies=[agency],
                            password_hash=None, active=True, failed_logins=0)
                s.add(user)
                s.flush()
            elif user.roles != [Role.STATION.value]:
                raise AccountError(f"{station!r} is a person's account, not a station / "
                                   f"{station!r} là tài khoản người dùng, không phải trạm quét")
            row = ApiToken(user_id=user.id, name=station, token_hash=token_hash(token), agency=agency,
                           expires_at=expires_at)
            s.add(row)
            s.flush()
            return row.id, token

    def tokens(self) -> list[TokenInfo]:
        with self.register.session() as s:
            return [TokenInfo(t.id, t.name, t.agency, _aware(t.created_at) or t.created_at, _aware(t.expires_at),
                              _aware(t.revoked_at), _aware(t.last_used_at))
                    for t in s.scalars(select(ApiToken).order_by(ApiToken.id))]

    def revoke_token(self, token_id: int) -> None:
        with self.register.session() as s:
            row = s.get(ApiToken, token_id)
            if row is None:
                raise AccountError(f"no token {token_id} (see `sohoa tokens list`) / không có mã {token_id}")
            row.revoked_at = row.revoked_at or datetime.now(UTC)

    def token_principal(self, token: str, now: datetime | None = None) -> Principal | None:
        """The station a bearer token belongs to, unless revoked, expired or its account disabled."""
        now = now or datetime.now(UTC)
        with self.register.session() as s:
            row = s.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
            if row is None or row.revoked_at is not None:
                return None
            expires = _aware(row.expires_at)
            if expires is not None and expires <= now:
                return None
            user = s.get(User, row.user_id)
            if user is None or not user.active:
                return None
            last = _aware(row.last_used_at)
            if last is None or (now - last).total_seconds() > 60:
                row.last_used_at = now
            return Principal(user.id, user.username, user.full_name, Role.STATION,
                             (row.agency,) if row.agency else tuple(user.agencies or ()))

    # --- agencies ---
    def agencies(self) -> list[tuple[str, str]]:
        with self.register.session() as s:
            return [(a.code, a.name) for a in s.scalars(select(Agency).order_by(Agency.code))]

    def set_agency(self, code: str, name: str) -> None:
        with self.register.session() as s:
            row = s.get(Agency, code)
            if row is None:
                s.add(Agency(code=code, name=name))
            else:
                row.name = name


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
