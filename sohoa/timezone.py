"""Times as people in Vietnam read them: Asia/Ho_Chi_Minh (UTC+7), whatever the server's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def local(moment: datetime) -> datetime:
    """`moment` in Vietnam's time; a time without a zone was written in UTC (SQLite drops zones)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM)
