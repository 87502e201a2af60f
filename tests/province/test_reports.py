"""The report arithmetic on rows built by hand: the edges of early / on time / late and of the period."""

from __future__ import annotations

from datetime import date, datetime

from province.reports import VIETNAM, DossierRow, Period, count, on_time_by_field, per_day, timeliness

MARCH = Period(datetime(2026, 3, 1, tzinfo=VIETNAM), datetime(2026, 4, 1, tzinfo=VIETNAM))


def row(received: str, due: str | None, resolved: str | None, field: str = "Hộ tịch", channel: int = 1) -> DossierRow:
    def when(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text).replace(tzinfo=VIETNAM) if text else None

    return DossierRow(1, "A", field, channel, when(received), when(due), when(resolved))  # type: ignore[arg-type]


def test_resolved_at_the_due_time_is_on_time_a_minute_later_is_late_the_day_before_is_early() -> None:
    assert timeliness(row("2026-03-02T09:00", "2026-03-05T17:00", "2026-03-05T17:00")) == "on_time"
    assert timeliness(row("2026-03-02T09:00", "2026-03-05T17:00", "2026-03-05T17:01")) == "late"
    assert timeliness(row("2026-03-02T09:00", "2026-03-05T17:00", "2026-03-04T23:59")) == "early"
    assert timeliness(row("2026-03-02T09:00", None, "2026-03-20T10:00")) == "on_time"  # no deadline known


def test_the_period_s_edges_carried_over_and_in_progress() -> None:
    carried = count(row("2026-02-27T09:00", "2026-03-03T17:00", None), MARCH)
    assert (carried.received, carried.carried_over, carried.in_progress, carried.past_due) == (1, 1, 1, 1)
    before = count(row("2026-02-27T09:00", "2026-03-03T17:00", "2026-02-28T23:59"), MARCH)
    assert before.received == 0
    last_minute = count(row("2026-03-31T23:59", "2026-04-03T17:00", None, channel=2), MARCH)
    assert (last_minute.online, last_minute.within_time) == (1, 1)
    assert count(row("2026-04-01T00:00", None, None), MARCH).received == 0


def test_every_day_of_the_period_has_a_bar_and_weeks_start_inside_the_period() -> None:
    days = per_day([row("2026-03-02T09:00", None, None)], MARCH)
    assert len(days) == 31 and days[date(2026, 3, 2)] == (1, 0) and days[date(2026, 3, 1)] == (0, 0)
    rates = on_time_by_field([row("2026-02-20T09:00", "2026-03-01T17:00", "2026-03-01T10:00"),
                              row("2026-02-20T09:00", "2026-03-01T17:00", "2026-03-02T10:00"),
                              row("2026-03-02T09:00", "2026-03-10T17:00", "2026-03-09T10:00")], MARCH, weekly=True)
    # 1 March is a Sunday: its week began in February, so its bucket starts on the 1st
    assert rates == {"Hộ tịch": {date(2026, 3, 1): 1.0, date(2026, 3, 2): 0.0, date(2026, 3, 9): 1.0}}
