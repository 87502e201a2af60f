"""Due dates as the receipt slip prints them: working days, Tết, weekends and the 15:00 rule."""

from __future__ import annotations

import datetime as dt

import pytest

from procedures import VIETNAM, due_at, is_late, load_calendar
from procedures.calendar import calendar_from_yaml

CAL = load_calendar()


def vn(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VIETNAM)


@pytest.mark.parametrize(("received", "days", "due_day"), [
    (vn(2025, 5, 19, 12, 57), 3, dt.date(2025, 5, 22)),   # Monday + 3 → Thursday
    (vn(2025, 5, 22, 9, 0), 3, dt.date(2025, 5, 27)),     # Thursday + 3 skips the weekend → Tuesday
    (vn(2025, 1, 24, 10, 0), 3, dt.date(2025, 2, 5)),     # Friday before Tết 2025: 27/1-31/1 are off
    (vn(2026, 2, 13, 8, 0), 1, dt.date(2026, 2, 23)),     # Friday before Tết 2026 → Monday after it
    (vn(2025, 4, 29, 8, 0), 1, dt.date(2025, 5, 5)),      # 30/4, 1/5 and the bridged 2/5
    (vn(2025, 4, 25, 8, 0), 1, dt.date(2025, 4, 26)),     # Saturday 26/4/2025 is worked (làm bù)
    (vn(2025, 8, 29, 8, 0), 2, dt.date(2025, 9, 4)),      # Quốc khánh 1/9-2/9
])
def test_processing_days_skip_weekends_and_holidays(received: dt.datetime, days: int, due_day: dt.date) -> None:
    due = due_at(received, days, CAL)
    assert due.date() == due_day
    assert due.utcoffset() == dt.timedelta(hours=7)


@pytest.mark.parametrize(("received", "due_day"), [
    (vn(2025, 3, 12, 14, 59), dt.date(2025, 3, 12)),
    (vn(2025, 3, 12, 15, 0), dt.date(2025, 3, 13)),
    (vn(2025, 3, 14, 16, 30), dt.date(2025, 3, 17)),   # Friday afternoon → Monday
    (vn(2025, 1, 24, 15, 10), dt.date(2025, 2, 3)),    # last afternoon before Tết → first day after
    (vn(2025, 3, 15, 9, 0), dt.date(2025, 3, 17)),     # received online on a Saturday
])
def test_same_day_procedures_and_the_1500_rule(received: dt.datetime, due_day: dt.date) -> None:
    assert due_at(received, 0, CAL).date() == due_day


def test_times_are_taken_in_vietnam_time() -> None:
    utc = dt.datetime(2025, 3, 12, 8, 30, tzinfo=dt.UTC)        # 15:30 in Hà Nội
    assert due_at(utc, 0, CAL).date() == dt.date(2025, 3, 13)
    naive = dt.datetime(2025, 3, 12, 8, 30)                        # naive = already Vietnam time
    assert due_at(naive, 0, CAL).date() == dt.date(2025, 3, 12)


def test_overriding_holidays_file(tmp_path) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text("2025:\n  holidays: [2025-03-13]\n", encoding="utf-8")
    custom = load_calendar(path)
    assert due_at(vn(2025, 3, 12, 16, 0), 0, custom).date() == dt.date(2025, 3, 14)
    assert custom.covers(dt.date(2025, 6, 1)) and not custom.covers(dt.date(2026, 6, 1))
    assert CAL.covers(dt.date(2027, 12, 31))


def test_is_late_compares_days_not_instants() -> None:
    due = due_at(vn(2025, 5, 19, 9, 0), 3, CAL)
    assert not is_late(due, vn(2025, 5, 22, 23, 59))
    assert is_late(due, vn(2025, 5, 23, 0, 1))
    assert is_late(due, None, now=vn(2025, 5, 26, 8, 0))
    assert not is_late(due, None, now=vn(2025, 5, 21, 8, 0))


def test_working_days_between() -> None:
    assert CAL.working_days_between(dt.date(2025, 1, 24), dt.date(2025, 2, 5)) == 3


def test_bad_holiday_file_is_refused() -> None:
    with pytest.raises(ValueError):
        calendar_from_yaml("2025:\n  holidays: [not-a-date]\n")
