"""Rate limits shared by every process of the web: hits per address over a sliding window.

The web runs as several worker processes (and a province may run it on several machines), so a
count held in one process's memory would multiply the limit by the number of processes. Each hit
is a row of `rate_hit`; a window is a count over the (bucket, key, at) index, and a key's rows
older than the window are dropped when it is hit again, so the table holds minutes of hits only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from storage.models import RateHit
from storage.register import Register


class RateLimits:
    """Sliding windows of hits per (bucket, key) in the register."""

    def __init__(self, register: Register) -> None:
        self.register = register

    def count(self, bucket: str, key: str, window: float, now: datetime | None = None) -> int:
        """Hits of `key` in the last `window` seconds."""
        now = now or datetime.now(UTC)
        with self.register.session() as s:
            return s.scalar(select(func.count()).select_from(RateHit).where(
                RateHit.bucket == bucket, RateHit.key == key[:128],
                RateHit.at > now - timedelta(seconds=window))) or 0

    def hit(self, bucket: str, key: str, limit: int, window: float, now: datetime | None = None) -> bool:
        """Count a hit for `key` unless its window already holds `limit`: False (not counted) then.

        The hit is written first and the window counted after it in the same transaction, so two
        processes hitting at once cannot both take the last place (SQLite serializes the writers;
        on PostgreSQL the later of two simultaneous hits may see only its own row, one over at most).
        """
        now = now or datetime.now(UTC)
        key = key[:128]
        start = now - timedelta(seconds=window)
        with self.register.session() as s:
            s.execute(delete(RateHit).where(RateHit.bucket == bucket, RateHit.key == key, RateHit.at <= start))
            row = RateHit(bucket=bucket, key=key, at=now)
            s.add(row)
            s.flush()
            inside = s.scalar(select(func.count()).select_from(RateHit).where(
                RateHit.bucket == bucket, RateHit.key == key, RateHit.at > start)) or 0
            if inside > limit:
                s.delete(row)
                return False
            return True
