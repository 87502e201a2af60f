"""The reports a one-stop centre files, computed from plain dossier rows (no register here).

- **Biểu số 06/VPCP/KSTT** (Thông tư 01/2020/TT-VPCP), by field (lĩnh vực), per agency and in
  total: received (online / direct and post / carried over from before the period), resolved
  (early / on time / late), in progress (within time / past due).
- **Bộ chỉ số 766** indicators sohoa can compute: 1.4 synced to the portal, 4.1 electronic results,
  4.2 digitized (a file among the components *and* a result file), and the on-time rate.

Definitions, so the figures can be checked by hand:
- A dossier is *resolved* at its end of processing: `finished_at` (status 9), else `returned_at`.
- *Early* is resolved on a calendar day (Vietnam time) before the due date's day; *on time* is
  resolved later but not after the due time; *late* is after it. A dossier with no due date (no
  procedure yet) has no deadline to miss: it counts as on time, and in progress within time.
- *Carried over*: received before the period and not resolved before it.
- 1.4 is over the dossiers received in the period; 4.1, 4.2 and the on-time rate over those
  resolved in it (a result can only exist once a dossier is resolved).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
ONLINE = 2
UNFILED = "Chưa xác định lĩnh vực"


@dataclass(frozen=True)
class DossierRow:
    """What the reports need of one dossier; `field` is its procedure's field (lĩnh vực)."""

    dossier_id: int
    agency: str
    field: str
    channel: int
    received_at: datetime
    due_at: datetime | None = None
    finished_at: datetime | None = None
    returned_at: datetime | None = None
    digitized_at: datetime | None = None
    has_result: bool = False
    synced: bool = False

    @property
    def resolved_at(self) -> datetime | None:
        return self.finished_at or self.returned_at


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive

    def holds(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at < self.end


@dataclass
class Counts:
    """One row of Biểu 06 (a field, an agency's total, or the grand total)."""

    received: int = 0
    online: int = 0
    direct_or_post: int = 0
    carried_over: int = 0
    resolved: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    in_progress: int = 0
    within_time: int = 0
    past_due: int = 0

    def add(self, other: Counts) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


@dataclass
class AgencyTable:
    agency: str
    fields: dict[str, Counts] = field(default_factory=dict)
    total: Counts = field(default_factory=Counts)


@dataclass
class Indicators:
    """Bộ chỉ số 766, as shares in [0, 1] with the counts they come from."""

    received: int
    synced: int
    resolved: int
    electronic_results: int
    digitized: int
    on_time: int

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "synced_share_1_4": self._share(self.synced, self.received),
            "electronic_results_share_4_1": self._share(self.electronic_results, self.resolved),
            "digitized_share_4_2": self._share(self.digitized, self.resolved),
            "on_time_rate": self._share(self.on_time, self.resolved),
            "digitized_full_marks_4_2": self.resolved > 0 and self.digitized / self.resolved >= 0.8,
        }


def _day(at: datetime) -> date:
    return at.astimezone(VIETNAM).date()


def timeliness(row: DossierRow) -> str:
    """`early`, `on_time` or `late` for a resolved dossier."""
    end = row.resolved_at
    assert end is not None
    if row.due_at is None:
        return "on_time"
    if end > row.due_at:
        return "late"
    return "early" if _day(end) < _day(row.due_at) else "on_time"


def count(row: DossierRow, period: Period) -> Counts:
    """The row's contribution to Biểu 06 for the period (all zero when it is outside the period)."""
    c = Counts()
    resolved = row.resolved_at
    if row.received_at >= period.end or (resolved is not None and resolved < period.start):
        return c
    c.received = 1
    if row.received_at < period.start:
        c.carried_over = 1
    elif row.channel == ONLINE:
        c.online = 1
    else:
        c.direct_or_post = 1
    if period.holds(resolved):
        c.resolved = 1
        setattr(c, timeliness(row), 1)
    else:
        c.in_progress = 1
        if row.due_at is not None and row.due_at < period.end:
            c.past_due = 1
        else:
            c.within_time = 1
    return c


def bieu_06(rows: Iterable[DossierRow], period: Period) -> tuple[list[AgencyTable], Counts]:
    """Biểu 06 per agency (fields sorted by name) and the grand total."""
    tables: dict[str, AgencyTable] = {}
    total = Counts()
    for row in rows:
        c = count(row, period)
        if not c.received:
            continue
        table = tables.setdefault(row.agency, AgencyTable(row.agency))
        table.fields.setdefault(row.field or UNFILED, Counts()).add(c)
        table.total.add(c)
        total.add(c)
    for table in tables.values():
        table.fields = dict(sorted(table.fields.items()))
    return [tables[a] for a in sorted(tables)], total


def indicators(rows: Iterable[DossierRow], period: Period) -> Indicators:
    rows = list(rows)
    received = [r for r in rows if period.holds(r.received_at)]
    resolved = [r for r in rows if period.holds(r.resolved_at)]
    return Indicators(
        received=len(received),
        synced=sum(r.synced for r in received),
        resolved=len(resolved),
        electronic_results=sum(r.has_result for r in resolved),
        digitized=sum(r.has_result and r.digitized_at is not None for r in resolved),
        on_time=sum(timeliness(r) != "late" for r in resolved),
    )


def per_day(rows: Iterable[DossierRow], period: Period) -> dict[date, tuple[int, int]]:
    """Received and digitized dossiers per day of the period (Vietnam time), every day present."""
    first, last = _day(period.start).toordinal(), _day(period.end - timedelta(microseconds=1)).toordinal()
    days: dict[date, list[int]] = {date.fromordinal(n): [0, 0] for n in range(first, last + 1)}
    for row in rows:
        if period.holds(row.received_at):
            days.setdefault(_day(row.received_at), [0, 0])[0] += 1
        if period.holds(row.digitized_at):
            days.setdefault(_day(row.digitized_at), [0, 0])[1] += 1  # type: ignore[arg-type]
    return {d: (v[0], v[1]) for d, v in sorted(days.items())}


def on_time_by_field(rows: Iterable[DossierRow], period: Period, *, weekly: bool) -> dict[str, dict[date, float]]:
    """On-time rate of the dossiers resolved each day (or week, from Monday), per field."""
    sums: dict[str, dict[date, list[int]]] = {}
    for row in rows:
        if not period.holds(row.resolved_at):
            continue
        day = _day(row.resolved_at)  # type: ignore[arg-type]
        if weekly:  # the week's Monday, or the period's first day for a week begun before it
            day = max(date.fromordinal(day.toordinal() - day.weekday()), _day(period.start))
        cell = sums.setdefault(row.field or UNFILED, {}).setdefault(day, [0, 0])
        cell[0] += timeliness(row) != "late"
        cell[1] += 1
    return {f: {d: good / n for d, (good, n) in sorted(days.items())} for f, days in sorted(sums.items())}


def rows_from(plain: Sequence[Mapping[str, Any]], fields: Mapping[str, str]) -> list[DossierRow]:
    """Rows from the register's plain dicts, each given its procedure's field from `fields`."""
    return [DossierRow(dossier_id=p["dossier_id"], agency=p["agency"], field=fields.get(p["procedure_id"] or "", ""),
                       channel=int(p["channel"] or 1), received_at=p["received_at"], due_at=p["due_at"],
                       finished_at=p["finished_at"], returned_at=p["returned_at"], digitized_at=p["digitized_at"],
                       has_result=p["has_result"], synced=p["synced"]) for p in plain]
