"""The reports wired to the register and the catalog: rows in, Biểu 06, indicators and pictures out.

The CLI (`sohoa report`) and the admin web page both call these, so a figure on the page is the
figure in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from province.reports import (
    VIETNAM,
    AgencyTable,
    Counts,
    DossierRow,
    Indicators,
    Period,
    bieu_06,
    indicators,
    rows_from,
)
from workers.catalog import current_catalog
from workers.services import Services

PLOTS = {"received-digitized": "Tiếp nhận và số hóa mỗi ngày", "on-time": "Tỷ lệ đúng hạn theo lĩnh vực"}
# The spreadsheet formats a report is downloaded in, with their media types.
FILE_TYPES = {"csv": "text/csv; charset=utf-8",
              "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def period_of(first: date, last: date) -> Period:
    """From the start of `first` to the end of `last`, Vietnam time (both days included)."""
    start = datetime.combine(first, time(), VIETNAM)
    return Period(start, datetime.combine(last + timedelta(days=1), time(), VIETNAM))


def gather(services: Services, period: Period, agency: str | None = None) -> list[DossierRow]:
    fields = {p.id: p.field for p in current_catalog(services.settings)}
    return rows_from(services.register.report_rows(period.start, period.end, agency), fields)


@dataclass(frozen=True)
class Report:
    period: Period
    rows: list[DossierRow]
    tables: list[AgencyTable]
    total: Counts
    indicators: Indicators


def build(services: Services, period: Period, agency: str | None = None) -> Report:
    rows = gather(services, period, agency)
    tables, total = bieu_06(rows, period)
    return Report(period, rows, tables, total, indicators(rows, period))


def plots(report: Report, fmt: str = "png") -> dict[str, bytes]:
    """The two pictures, as PNG (report files) or SVG (the admin page): name -> bytes."""
    from province.plots import on_time_rate, received_and_digitized
    from province.report_files import title
    from province.reports import on_time_by_field, per_day

    label = title(report.period)
    weekly = (report.period.end - report.period.start).days > 21  # a month reads better by week
    days = per_day(report.rows, report.period)
    span = (min(days), max(days))
    return {
        "received-digitized": received_and_digitized(days, label, fmt),
        "on-time": on_time_rate(on_time_by_field(report.rows, report.period, weekly=weekly), label, fmt, span=span),
    }


def plots_svg(report: Report) -> dict[str, str]:
    """For the admin web page: the same pictures as `sohoa report --plots`, as SVG text."""
    return {name: data.decode("utf-8") for name, data in plots(report, "svg").items()}


def report_file(report: Report, fmt: str, pictures: dict[str, bytes] | None = None) -> bytes:
    """The csv or xlsx file of the report (one of FILE_TYPES), as `sohoa report` writes it and the admin
    page downloads it; `pictures` (name -> PNG, from `plots`) go into the workbook."""
    from province import report_files

    args = (report.tables, report.total, report.indicators)
    if fmt == "csv":
        return report_files.csv_text(*args).encode("utf-8")
    if fmt == "xlsx":
        named = {PLOTS[k]: v for k, v in (pictures or {}).items()}
        return report_files.xlsx_bytes(*args, report.period, named)
    raise ValueError(f"not a report file format: {fmt!r}")
