"""Rate limits in the register: a sliding window per bucket and address, whoever counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage.limits import RateLimits
from storage.models import RateHit
from storage.register import Register


def test_window_fills_refuses_then_slides(register_url: str) -> None:
    register = Register(register_url)
    limits, other_process = RateLimits(register), RateLimits(Register(register_url))
    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert [limits.hit("kiosk", "10.0.0.1", 3, 60, t0 + timedelta(seconds=i)) for i in range(2)] == [True, True]
    assert other_process.hit("kiosk", "10.0.0.1", 3, 60, t0 + timedelta(seconds=2))  # the same count
    assert not limits.hit("kiosk", "10.0.0.1", 3, 60, t0 + timedelta(seconds=3))  # full: refused, not counted
    assert other_process.count("kiosk", "10.0.0.1", 60, t0 + timedelta(seconds=3)) == 3
    assert limits.hit("kiosk", "10.0.0.2", 3, 60, t0 + timedelta(seconds=3))  # another address
    assert limits.hit("login", "10.0.0.1", 3, 60, t0 + timedelta(seconds=3))  # another limit
    assert limits.hit("kiosk", "10.0.0.1", 3, 60, t0 + timedelta(seconds=60.5))  # the first hit left the window
    with register.session() as s:  # the hits gone out of the window were dropped
        assert s.scalar(select(func.count()).select_from(RateHit).where(RateHit.key == "10.0.0.1",
                                                                        RateHit.bucket == "kiosk")) == 3
