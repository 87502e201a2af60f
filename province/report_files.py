"""Biểu 06 and the 766 indicators written out: Markdown, CSV, XLSX (openpyxl) or JSON.

Column headings are the form's own (Vietnamese), so the file can be pasted into the centre's
report; JSON keeps the English field names for scripts.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from typing import Any

from province.reports import AgencyTable, Counts, Indicators, Period

HEADINGS = ("STT", "Lĩnh vực", "Tổng số tiếp nhận", "Trực tuyến", "Trực tiếp, bưu chính", "Kỳ trước chuyển qua",
            "Đã giải quyết", "Trước hạn", "Đúng hạn", "Quá hạn", "Đang giải quyết", "Trong hạn", "Quá hạn ")
INDICATOR_NAMES = {
    "synced_share_1_4": "1.4 Hồ sơ đồng bộ lên Cổng DVCQG",
    "electronic_results_share_4_1": "4.1 Kết quả điện tử",
    "digitized_share_4_2": "4.2 Hồ sơ số hóa (thành phần và kết quả)",
    "on_time_rate": "Tỷ lệ giải quyết đúng hạn",
}


def _cells(c: Counts) -> list[int]:
    return [c.received, c.online, c.direct_or_post, c.carried_over, c.resolved, c.early, c.on_time, c.late,
            c.in_progress, c.within_time, c.past_due]


def table_rows(tables: list[AgencyTable], total: Counts) -> list[list[Any]]:
    """Every row of the form in order: per agency its fields then its total, then the grand total."""
    rows: list[list[Any]] = []
    for table in tables:
        rows.append(["", f"Cơ quan {table.agency}", *[""] * 11])
        for n, (name, counts) in enumerate(table.fields.items(), 1):
            rows.append([n, name, *_cells(counts)])
        rows.append(["", f"Cộng {table.agency}", *_cells(table.total)])
    rows.append(["", "TỔNG CỘNG", *_cells(total)])
    return rows


def indicator_rows(indicators: Indicators) -> list[tuple[str, float | None, int, int]]:
    """The 766 indicators as (name, share, numerator, denominator): one list for every file format."""
    data = indicators.to_dict()
    return [(INDICATOR_NAMES[key], data[key], part, whole)
            for key, part, whole in (("synced_share_1_4", indicators.synced, indicators.received),
                                     ("electronic_results_share_4_1", indicators.electronic_results,
                                      indicators.resolved),
                                     ("digitized_share_4_2", indicators.digitized, indicators.resolved),
                                     ("on_time_rate", indicators.on_time, indicators.resolved))]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def title(period: Period) -> str:
    """The period as people write it: "01/03/2026 – 31/03/2026" (Vietnam time, last day included)."""
    from datetime import timedelta

    from province.reports import VIETNAM

    last = (period.end - timedelta(microseconds=1)).astimezone(VIETNAM)
    return f"{period.start.astimezone(VIETNAM):%d/%m/%Y} – {last:%d/%m/%Y}"


def markdown(tables: list[AgencyTable], total: Counts, indicators: Indicators, period: Period,
             pictures: dict[str, str] | None = None) -> str:
    lines = ["# Biểu số 06/VPCP/KSTT", "", f"Kỳ báo cáo: từ {period.start:%Y-%m-%d} đến trước {period.end:%Y-%m-%d}"
             " (Asia/Ho_Chi_Minh)", "", "| " + " | ".join(h.strip() for h in HEADINGS) + " |",
             "|" + "---|" * len(HEADINGS)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in table_rows(tables, total)]
    data = indicators.to_dict()
    lines += ["", "## Bộ chỉ số 766", "", "| Chỉ số | Tỷ lệ | Trên |", "|---|---|---|",
              f"| {INDICATOR_NAMES['synced_share_1_4']} | {_percent(data['synced_share_1_4'])} | "
              f"{indicators.synced}/{indicators.received} hồ sơ tiếp nhận |",
              f"| {INDICATOR_NAMES['electronic_results_share_4_1']} | {_percent(data['electronic_results_share_4_1'])} "
              f"| {indicators.electronic_results}/{indicators.resolved} hồ sơ đã giải quyết |",
              f"| {INDICATOR_NAMES['digitized_share_4_2']} | {_percent(data['digitized_share_4_2'])} | "
              f"{indicators.digitized}/{indicators.resolved} hồ sơ đã giải quyết (đạt điểm tối đa từ 80%) |",
              f"| {INDICATOR_NAMES['on_time_rate']} | {_percent(data['on_time_rate'])} | "
              f"{indicators.on_time}/{indicators.resolved} hồ sơ đã giải quyết |"]
    for caption, path in (pictures or {}).items():
        lines += ["", f"![{caption}]({path})"]
    return "\n".join(lines) + "\n"


def csv_text(tables: list[AgencyTable], total: Counts, indicators: Indicators) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([h.strip() for h in HEADINGS])
    writer.writerows(table_rows(tables, total))
    writer.writerow([])
    writer.writerow(["Chỉ số", "Tỷ lệ", "Tử số", "Mẫu số"])
    for name, share, part, whole in indicator_rows(indicators):
        writer.writerow([name, "" if share is None else share, part, whole])
    return out.getvalue()


def xlsx_bytes(tables: list[AgencyTable], total: Counts, indicators: Indicators, period: Period,
               pictures: dict[str, bytes] | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Biểu 06"
    sheet.append(["Biểu số 06/VPCP/KSTT"])
    sheet.append([f"Kỳ báo cáo: từ {period.start:%Y-%m-%d} đến trước {period.end:%Y-%m-%d}"])
    sheet.append([h.strip() for h in HEADINGS])
    for cell in sheet[3]:
        cell.font, cell.alignment = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for row in table_rows(tables, total):
        sheet.append(row)
    sheet.column_dimensions["B"].width = 36
    sheet["A1"].font = Font(bold=True, size=14)
    second = book.create_sheet("Chỉ số 766")
    second.append(["Chỉ số", "Tỷ lệ", "Tử số", "Mẫu số"])
    for indicator in indicator_rows(indicators):
        second.append(list(indicator))
        second.cell(second.max_row, 2).number_format = "0.0%"
    second.column_dimensions["A"].width = 44
    for name, png in (pictures or {}).items():
        sheet_of = book.create_sheet(name[:31])
        sheet_of.add_image(Image(io.BytesIO(png)), "A1")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def json_text(tables: list[AgencyTable], total: Counts, indicators: Indicators, period: Period) -> str:
    return json.dumps({
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "bieu_06": [{"agency": t.agency, "fields": {name: asdict(c) for name, c in t.fields.items()},
                     "total": asdict(t.total)} for t in tables],
        "total": asdict(total),
        "indicators_766": indicators.to_dict(),
    }, ensure_ascii=False, indent=1)
