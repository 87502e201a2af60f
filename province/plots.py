"""The report's pictures: received and digitized per day, on-time rate per field over time.

Each is drawn to be put on a director's slide as it is: a title that says what it shows and over
which period, labelled axes in Vietnamese, no chart junk. PNG for the report files, SVG (the same
figure) for the admin web page. matplotlib runs headless (the Agg backend).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from typing import Any


def _figure(width: float = 10.0, height: float = 5.0) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=150, layout="constrained")
    return figure


def _save(figure: Any, fmt: str) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()


def received_and_digitized(days: Mapping[date, tuple[int, int]], title: str, fmt: str = "png") -> bytes:
    """Bars of dossiers received per day beside bars of those digitized that day."""
    import matplotlib.dates as mdates

    figure = _figure()
    ax = figure.add_subplot()
    xs = [mdates.date2num(d) for d in days]
    received = [v[0] for v in days.values()]
    digitized = [v[1] for v in days.values()]
    ax.bar([x - 0.2 for x in xs], received, width=0.4, label="Tiếp nhận (received)", color="#1f4e79")
    ax.bar([x + 0.2 for x in xs], digitized, width=0.4, label="Số hóa (digitized)", color="#f28e2b")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=12))
    if xs:
        ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylabel("Hồ sơ / ngày")
    ax.set_title(f"Hồ sơ tiếp nhận và số hóa mỗi ngày · {title}", loc="left", fontsize=12)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, loc="upper left")
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _save(figure, fmt)


def on_time_rate(series: Mapping[str, Mapping[date, float]], title: str, fmt: str = "png", *,
                 span: tuple[date, date] | None = None) -> bytes:
    """One line per field: the share of dossiers resolved on time, per day or week, over `span`'s days."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import PercentFormatter

    figure = _figure()
    ax = figure.add_subplot()
    for name, points in series.items():
        ax.plot([mdates.date2num(d) for d in points], [100 * v for v in points.values()], marker="o",
                linewidth=2, label=name)
    ax.set_ylim(0, 105)
    if span is not None:  # the whole period, even when few days have points
        ax.set_xlim(mdates.date2num(span[0]) - 0.6, mdates.date2num(span[1]) + 0.6)
    ax.yaxis.set_major_formatter(PercentFormatter())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=12))
    ax.set_ylabel("Đúng hạn (on time)")
    ax.set_title(f"Tỷ lệ giải quyết đúng hạn theo lĩnh vực · {title}", loc="left", fontsize=12)
    ax.spines[["top", "right"]].set_visible(False)
    if series:
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(0, -0.08), ncols=min(4, len(series)))
    else:
        ax.text(0.5, 0.5, "Chưa có hồ sơ giải quyết trong kỳ", transform=ax.transAxes, ha="center")
    return _save(figure, fmt)
