"""`sohoa report`: Biểu số 06/VPCP/KSTT and the Bộ chỉ số 766 indicators, with pictures."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from settings import load_settings
from sohoa.cli.output import console, fail

FORMATS = ("md", "csv", "xlsx", "json")


def _day(value: str | None, default: date, name: str) -> date:
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{name} {value!r} is not a date / không phải ngày", "write it as YYYY-MM-DD, e.g. 2026-03-31")


def report(
    first: str = typer.Option(None, "--from", help="First day (YYYY-MM-DD, Vietnam time); default the 1st of "
                              "this month."),
    last: str = typer.Option(None, "--to", help="Last day, included (YYYY-MM-DD); default today."),
    agency: str = typer.Option(None, help="Only this agency code (default: every agency, each with its total)."),
    fmt: str = typer.Option("md", "--format", help="md, csv, xlsx or json."),
    out: Path = typer.Option(None, help="Write here (needed for xlsx); default the screen."),
    plots: Path = typer.Option(None, help="Also write the pictures (PNG) into this folder."),
) -> None:
    """Biểu 06 by field per agency and in total, the 766 indicators (1.4, 4.1, 4.2, on time), and plots.

    Received counts online / direct and post / carried over; resolved early / on time / late; in
    progress within time / past due (README, "Reports", says how each is counted).
    """
    from province import report_files
    from workers.reports import PLOTS, build, period_of, report_file
    from workers.reports import plots as draw
    from workers.services import Services

    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r} / định dạng không hỗ trợ", f"choose among {', '.join(FORMATS)}")
    if fmt == "xlsx" and out is None:
        fail("xlsx needs --out FILE.xlsx / cần --out cho tệp xlsx")
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    start, end = _day(first, today.replace(day=1), "--from"), _day(last, today, "--to")
    if end < start:
        fail(f"--to {end} is before --from {start} / ngày kết thúc trước ngày bắt đầu")
    services = Services(load_settings())
    result = build(services, period_of(start, end), agency)
    pictures: dict[str, bytes] = {}
    links: dict[str, str] = {}
    if plots is not None:
        plots.mkdir(parents=True, exist_ok=True)
        pictures = draw(result, "png")
        for name, data in pictures.items():
            (plots / f"{name}.png").write_bytes(data)
            links[PLOTS[name]] = str(plots / f"{name}.png")
    args = (result.tables, result.total, result.indicators)
    if fmt == "md":
        text = report_files.markdown(*args, result.period, links)
    elif fmt == "csv":
        text = report_file(result, "csv").decode("utf-8")
    elif fmt == "json":
        text = report_files.json_text(*args, result.period)
    else:
        assert out is not None
        out.write_bytes(report_file(result, "xlsx", pictures))
        console.print(f"wrote {out}")
        return
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.command()(report)
