"""Small SVG plots drawn on the server (no chart library, no script): received and digitized per
day, and the on-time rate per field. Every label is escaped."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from storage.queries import DayCount

RECEIVED_COLOUR, DIGITIZED_COLOUR = "#1f5fa8", "#2e8b57"


def daily_bars(days: Sequence[DayCount], received: str, digitized: str) -> Markup:
    """Two bars a day; the legend names come translated from the caller."""
    width, height, left, bottom = 640, 220, 34, 36
    top = max([max(d.received, d.digitized) for d in days] + [1])
    slot = (width - left - 10) / max(len(days), 1)
    bar = max(slot / 2 - 2, 1)
    parts = [f'<svg class="plot" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(received)} / {escape(digitized)}">']
    for tick in (0, top / 2, top):
        y = height - bottom - (height - bottom - 20) * tick / top
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" class="axis" text-anchor="end">{tick:.0f}</text>')
    for i, d in enumerate(days):
        x = left + i * slot + 1
        for j, (value, colour) in enumerate(((d.received, RECEIVED_COLOUR), (d.digitized, DIGITIZED_COLOUR))):
            h = (height - bottom - 20) * value / top
            parts.append(f'<rect x="{x + j * (bar + 1):.1f}" y="{height - bottom - h:.1f}" width="{bar:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"><title>{d.day:%d/%m}: {value}</title></rect>')
        if len(days) <= 14 or i % 2 == 0:
            parts.append(f'<text x="{x + bar:.1f}" y="{height - bottom + 14}" class="axis" '
                         f'text-anchor="middle">{d.day:%d/%m}</text>')
    parts.append(f'<rect x="{left}" y="{height - 14}" width="10" height="10" fill="{RECEIVED_COLOUR}"/>'
                 f'<text x="{left + 14}" y="{height - 5}" class="axis">{escape(received)}</text>'
                 f'<rect x="{left + 200}" y="{height - 14}" width="10" height="10" fill="{DIGITIZED_COLOUR}"/>'
                 f'<text x="{left + 214}" y="{height - 5}" class="axis">{escape(digitized)}</text></svg>')
    return Markup("".join(parts))


def rate_bars(rates: Sequence[tuple[str, int, int]]) -> Markup:
    """One horizontal bar per (label, dossiers, on time): the share on time, with the counts."""
    row, width, label_width = 26, 640, 230
    height = max(len(rates), 1) * row + 8
    parts = [f'<svg class="plot" viewBox="0 0 {width} {height}" role="img">']
    for i, (label, total, on_time) in enumerate(rates):
        share = on_time / total if total else 0
        y = 4 + i * row
        colour = "#2e8b57" if share >= 0.9 else "#c98a00" if share >= 0.7 else "#b22222"
        bar = (width - label_width - 90) * share
        parts.append(f'<text x="{label_width - 6}" y="{y + 16}" class="axis" text-anchor="end">'
                     f'{escape(label[:34])}</text><rect x="{label_width}" y="{y + 3}" width="{bar:.1f}" '
                     f'height="16" fill="{colour}"/><text x="{width - 84}" y="{y + 16}" class="axis">'
                     f'{share:.0%} ({on_time}/{total})</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
