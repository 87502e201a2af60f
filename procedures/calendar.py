"""Working days and due dates (ngày hẹn trả) of one-stop dossiers.

The appointment date printed on the receipt slip is the receipt time plus the procedure's
processing time counted in working days: weekends and public holidays do not count, Saturdays
worked to make up a bridged holiday do. A "same day" procedure (0 days) received after 15:00 is due
the next working day. A dossier received on a day off (online, by post) starts counting on the
next working day. All times are Vietnam time (UTC+07:00, no daylight saving), whatever zone the
caller's datetimes are in; naive datetimes are taken as Vietnam time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")
SAME_DAY_CUTOFF = dt.time(15, 0)
OFFICE_CLOSES = dt.time(17, 0)


@dataclass(frozen=True)
class WorkCalendar:
    """Which days the counter works: Monday to Friday, minus `holidays`, plus `working_days`."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    working_days: frozenset[dt.date] = field(default_factory=frozenset)
    years: frozenset[int] = field(default_factory=frozenset)

    def covers(self, day: dt.date) -> bool:
        """Whether the holiday file lists `day`'s year: past it, due dates ignore holidays (warn)."""
        return day.year in self.years

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        day += dt.timedelta(days=1)
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `day` (`day` itself when count is 0 and it is worked)."""
        if count == 0 and self.is_working_day(day):
            return day
        for _ in range(max(count, 1)):
            day = self.next_working_day(day)
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many days a dossier has been in processing."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_working_day(day)
        return count


def _dates(values: object) -> frozenset[dt.date]:
    if not values:
        return frozenset()
    if not isinstance(values, list):
        raise ValueError(f"expected a list of dates, got {values!r}")
    return frozenset(v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)) for v in values)


def calendar_from_yaml(text: str) -> WorkCalendar:
    """A calendar from YAML keyed by year: `{2025: {holidays: [...], working_days: [...]}}`."""
    data = yaml.safe_load(text) or {}
    holidays: set[dt.date] = set()
    working: set[dt.date] = set()
    for entry in (e or {} for e in data.values()):
        holidays |= _dates(entry.get("holidays"))
        working |= _dates(entry.get("working_days"))
    return WorkCalendar(frozenset(holidays), frozenset(working), frozenset(int(y) for y in data))


def load_calendar(path: Path | str | None = None) -> WorkCalendar:
    """The holiday calendar at `path`, or the shipped one (2025-2027) when None."""
    if path is None:
        text = resources.files("procedures.data").joinpath("holidays.yaml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return calendar_from_yaml(text)


def vietnam_time(moment: dt.datetime) -> dt.datetime:
    """`moment` in Vietnam time; a naive datetime is taken to already be Vietnam time."""
    return moment.replace(tzinfo=VIETNAM) if moment.tzinfo is None else moment.astimezone(VIETNAM)


def due_at(received_at: dt.datetime, days: int, calendar: WorkCalendar) -> dt.datetime:
    """When the result is due: the end of office hours (17:00, +07:00) of the appointment day.

    The day is `days` working days after the receipt day. Receipt on a day off counts from the
    next working day; a same-day procedure received at or after 15:00 is due the next working day.
    """
    if days < 0:
        raise ValueError("processing days cannot be negative")
    received = vietnam_time(received_at)
    day = received.date()
    if not calendar.is_working_day(day):
        day = calendar.next_working_day(day)
        due_day = calendar.add_working_days(day, days)
    elif days == 0 and received.time() >= SAME_DAY_CUTOFF:
        due_day = calendar.next_working_day(day)
    else:
        due_day = calendar.add_working_days(day, days)
    return dt.datetime.combine(due_day, OFFICE_CLOSES, tzinfo=VIETNAM)


def is_late(due: dt.datetime, finished_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Whether a dossier missed its appointment date (đúng hạn = finished on or before that date).

    An unfinished dossier is late once its due day has passed at `now` (default: the current time).
    Dates are compared in Vietnam time, since the appointment is a day, not an instant.
    """
    end = finished_at if finished_at is not None else (now or dt.datetime.now(VIETNAM))
    return vietnam_time(end).date() > vietnam_time(due).date()
