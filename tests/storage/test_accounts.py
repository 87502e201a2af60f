"""Accounts: hashed passwords, lockout after wrong passwords, sessions that expire, station tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from storage.accounts import AccountError, Accounts, LoginOutcome, Role
from storage.register import Register

PASSWORD = "mot-mat-khau-dai"


def accounts(url: str) -> Accounts:
    return Accounts(Register(url))


def test_password_is_stored_only_as_an_argon2_hash(register_url: str) -> None:
    a = accounts(register_url)
    a.add_user("lan", Role.ARCHIVIST, ("H39.01",), PASSWORD)
    with a.register.engine.connect() as c:
        stored = c.execute(text("SELECT password_hash FROM user_account WHERE username = 'lan'")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert a.authenticate("lan", PASSWORD, max_failures=5, lock_minutes=15).outcome is LoginOutcome.OK
    assert a.authenticate("lan", "sai-mat-khau-roi", max_failures=5, lock_minutes=15).outcome is LoginOutcome.BAD
    assert a.authenticate("nobody", PASSWORD, max_failures=5, lock_minutes=15).outcome is LoginOutcome.BAD


def test_repeated_wrong_passwords_lock_the_account_even_against_the_right_one(register_url: str) -> None:
    a = accounts(register_url)
    a.add_user("lan", Role.ARCHIVIST, ("H39.01",), PASSWORD)
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    outcomes = [a.authenticate("lan", f"wrong-{i}-password", max_failures=3, lock_minutes=15, now=now).outcome
                for i in range(3)]
    assert outcomes == [LoginOutcome.BAD, LoginOutcome.BAD, LoginOutcome.LOCKED]
    assert a.authenticate("lan", PASSWORD, max_failures=3, lock_minutes=15,
                          now=now + timedelta(minutes=5)).outcome is LoginOutcome.LOCKED
    assert a.authenticate("lan", PASSWORD, max_failures=3, lock_minutes=15,
                          now=now + timedelta(minutes=16)).outcome is LoginOutcome.OK


def test_sessions_end_when_idle_or_when_the_account_is_disabled(register_url: str) -> None:
    a = accounts(register_url)
    user = a.add_user("lan", Role.ARCHIVIST, ("H39.01",), PASSWORD)
    token, csrf = a.open_session(user.user_id, "127.0.0.1")
    found = a.session(token, idle_minutes=30)
    assert found is not None and found[0].username == "lan" and found[1] == csrf
    assert a.session(token, idle_minutes=30, now=datetime.now(UTC) + timedelta(minutes=31)) is None
    assert a.session(token, idle_minutes=30) is None  # the idle session was removed
    token, _ = a.open_session(user.user_id, None)
    a.set_active("lan", False)
    assert a.session(token, idle_minutes=30) is None


def test_station_tokens_are_hashed_scoped_expiring_and_revocable(register_url: str) -> None:
    a = accounts(register_url)
    token_id, token = a.add_token("tram-1", "H39.01", expires_at=datetime.now(UTC) + timedelta(days=1))
    with a.register.engine.connect() as c:
        assert token not in str(c.execute(text("SELECT * FROM api_token")).all())
    station = a.token_principal(token)
    assert station is not None and station.role is Role.STATION and station.agencies == ("H39.01",)
    assert a.token_principal(token, now=datetime.now(UTC) + timedelta(days=2)) is None
    assert a.token_principal(token + "x") is None
    a.revoke_token(token_id)
    assert a.token_principal(token) is None
    assert a.authenticate("tram-1", "", max_failures=5, lock_minutes=15).outcome is LoginOutcome.BAD


def test_bad_requests_say_what_to_do(register_url: str) -> None:
    a = accounts(register_url)
    with pytest.raises(AccountError, match="10"):
        a.add_user("lan", Role.ARCHIVIST, ("H39.01",), "short")
    with pytest.raises(AccountError, match="agency"):
        a.add_user("lan", Role.ARCHIVIST, (), PASSWORD)
    a.add_user("lan", Role.ARCHIVIST, ("H39.01",), PASSWORD)
    with pytest.raises(AccountError, match="exists"):
        a.add_user("lan", Role.ADMIN, (), PASSWORD)
