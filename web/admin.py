"""Quản trị: is the centre on time? Live counts, today's work, failures, quarantine, plots, and
the accounts, tokens and audit trail. Admins only."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sohoa.timezone import local
from storage.accounts import AccountError, Role
from storage.audit import AuditAction
from storage.outbox import OutboxState
from storage.vocabulary import Action, DossierState
from web import quarantine
from web.auth import Permission, Visitor, require
from web.context import web_of
from web.labels import OUTBOX_STATE
from web.plots import daily_bars, rate_bars
from web.render import gettext_for, render
from workers import reports
from workers.catalog import current_catalog

router = APIRouter(include_in_schema=False)
admin_only = require(Permission.ADMIN)


def _counts(request: Request, visitor: Visitor) -> dict[str, object]:
    web = web_of(request)
    by_state = {s.value: 0 for s in DossierState} | web.queries.counts_by_state(visitor.scope)
    today = local(datetime.now(UTC)).date()
    day = web.queries.daily(visitor.scope, 1, today)[0]
    queues = None
    if web.services.settings.redis_url:
        from workers.queues import connect, queue_report

        try:
            queues = queue_report(connect(web.services.settings.redis_url))
        except Exception as error:  # Redis down: say so on the page, keep the rest
            queues = {"error": str(error)}
    return {"by_state": by_state, "today": day, "queues": queues,
            "quarantined": len(quarantine.entries(web.services.settings.quarantine))}


@router.get("/admin")
def overview(request: Request, visitor: Visitor = Depends(admin_only)) -> Response:
    web, _ = web_of(request), gettext_for(request)
    scope = visitor.scope
    today = local(datetime.now(UTC)).date()
    catalog = current_catalog(web.services.settings)
    per_field: dict[str, list[int]] = {}
    for procedure_id, (total, on_time) in web.queries.timeliness(scope, datetime.now(UTC)).items():
        p = catalog.get(procedure_id)
        tally = per_field.setdefault(p.field if p and p.field else _("Unclassified"), [0, 0])
        tally[0] += total
        tally[1] += on_time
    return render(request, "admin.html", counts=_counts(request, visitor),
                  daily=daily_bars(web.queries.daily(scope, 14, today), _("Received"), _("Digitized")),
                  rates=rate_bars(sorted((k, v[0], v[1]) for k, v in per_field.items())),
                  failures=web.queries.latest_events(Action.FAILED, scope),
                  rescans=web.queries.latest_events(Action.RESCAN_SUGGESTED, scope),
                  held=quarantine.entries(web.services.settings.quarantine),
                  outbox=web.services.register.outbox_counts(),
                  outbox_labels={state: _(label) for state, label in OUTBOX_STATE.items()},
                  dead=web.services.register.outbox_messages(states=[OutboxState.dead], limit=50),
                  province=bool(web.services.settings.province_url))


@router.post("/admin/sync/retry")
def sync_retry(request: Request, dossier_id: int | None = Form(None, ge=1),
               visitor: Visitor = Depends(admin_only)) -> Response:
    """`sohoa sync retry` from the page: one dossier's dead letters, or every one."""
    web = web_of(request)
    count = web.services.register.outbox_retry([dossier_id] if dossier_id else None,
                                               actor=f"web:{visitor.principal.username}")
    web.audit.append(visitor.entry(AuditAction.SYNC_RETRY, (dossier_id,) if dossier_id else (), requeued=count))
    return RedirectResponse("/admin#handoff", status_code=303)


def _day(text: str) -> date:
    """A day as people type it here (31/03/2026) or as scripts do (2026-03-31)."""
    if "/" in text:
        return datetime.strptime(text, "%d/%m/%Y").date()
    return date.fromisoformat(text)


def _period(first: str, last: str) -> tuple[date, date, str | None]:
    """The report's days (default: this month up to today, Vietnam time) and what is wrong with them."""
    today = local(datetime.now(UTC)).date()
    try:
        start = _day(first.strip()) if first.strip() else today.replace(day=1)
        end = _day(last.strip()) if last.strip() else today
    except ValueError:
        return today.replace(day=1), today, "bad_date"
    if end < start:
        return start, end, "reversed"
    return start, end, None


@router.get("/admin/reports")
def reports_page(request: Request, first: str = Query("", alias="from", max_length=10),
                 last: str = Query("", alias="to", max_length=10), agency: str = Query("", max_length=64),
                 visitor: Visitor = Depends(admin_only)) -> Response:
    """Biểu 06 and the 766 indicators for a period, the figures `sohoa report` writes, with its pictures."""
    from province.report_files import HEADINGS, INDICATOR_NAMES, table_rows, title

    web = web_of(request)
    start, end, problem = _period(first, last)
    shown = (first, last) if problem else (f"{start:%d/%m/%Y}", f"{end:%d/%m/%Y}")
    context: dict[str, Any] = {"first": shown[0], "last": shown[1], "agency": agency,
                                  "problem": problem, "agencies": web.accounts.agencies()}
    if problem:
        return render(request, "reports.html", status=422, **context)
    report = reports.build(web.services, reports.period_of(start, end), agency or None)
    # As <img> data URLs: matplotlib's SVG styles its marks inline, which the page's CSP would refuse.
    pictures = {name: "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
                for name, svg in reports.plots_svg(report).items()}
    shares = report.indicators.to_dict()
    parts = {"synced_share_1_4": (report.indicators.synced, report.indicators.received),
             "electronic_results_share_4_1": (report.indicators.electronic_results, report.indicators.resolved),
             "digitized_share_4_2": (report.indicators.digitized, report.indicators.resolved),
             "on_time_rate": (report.indicators.on_time, report.indicators.resolved)}
    indicators = [(INDICATOR_NAMES[key], shares[key], part, whole) for key, (part, whole) in parts.items()]
    return render(request, "reports.html", **context, title=title(report.period), headings=HEADINGS,
                  rows=table_rows(report.tables, report.total), indicators=indicators, pictures=pictures,
                  full_marks=shares["digitized_full_marks_4_2"], dossiers=len(report.rows))


@router.get("/admin/reports/download")
def reports_download(request: Request, fmt: str = Query(..., pattern="^(csv|xlsx)$"),
                     first: str = Query("", alias="from", max_length=10),
                     last: str = Query("", alias="to", max_length=10), agency: str = Query("", max_length=64),
                     visitor: Visitor = Depends(admin_only)) -> Response:
    """The file `sohoa report --format csv|xlsx --plots` writes, for the same period and agency."""
    web = web_of(request)
    start, end, problem = _period(first, last)
    if problem:
        return RedirectResponse("/admin/reports", status_code=303)
    report = reports.build(web.services, reports.period_of(start, end), agency or None)
    data = reports.report_file(report, fmt, reports.plots(report, "png") if fmt == "xlsx" else None)
    web.audit.append(visitor.entry(AuditAction.REPORT, format=fmt, first=start.isoformat(), last=end.isoformat(),
                                   agency=agency or None))
    suffix = "".join(c for c in agency if c.isascii() and (c.isalnum() or c in ".-"))
    name = f"bieu-06-{start:%Y%m%d}-{end:%Y%m%d}{'-' + suffix if suffix else ''}.{fmt}"
    return Response(data, media_type=reports.FILE_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/admin/counts")
def counts_fragment(request: Request, visitor: Visitor = Depends(admin_only)) -> Response:
    """The live counts, polled by HTMX every few seconds."""
    return render(request, "_counts.html", counts=_counts(request, visitor))


@router.post("/admin/quarantine/release")
def release(request: Request, name: str = Form(..., max_length=255),
            visitor: Visitor = Depends(admin_only)) -> Response:
    web = web_of(request)
    settings = web.services.settings
    try:
        quarantine.release(settings.quarantine, settings.inbox, name)
    except FileNotFoundError:
        return RedirectResponse("/admin", status_code=303)
    web.audit.append(visitor.entry(AuditAction.QUARANTINE_RELEASE, name=name))
    web.services.register.add_event(None, f"web:{visitor.principal.username}", Action.RELEASED, {"name": name})
    return RedirectResponse("/admin#quarantine", status_code=303)


@router.post("/admin/quarantine/delete")
def delete(request: Request, name: str = Form(..., max_length=255), visitor: Visitor = Depends(admin_only)) -> Response:
    web = web_of(request)
    try:
        quarantine.delete(web.services.settings.quarantine, name)
    except FileNotFoundError:
        return RedirectResponse("/admin", status_code=303)
    web.audit.append(visitor.entry(AuditAction.QUARANTINE_DELETE, name=name))
    web.services.register.add_event(None, f"web:{visitor.principal.username}", Action.QUARANTINE_DELETED,
                                    {"name": name})
    return RedirectResponse("/admin#quarantine", status_code=303)


@router.get("/admin/accounts")
def accounts(request: Request, visitor: Visitor = Depends(admin_only), message: str = "") -> Response:
    web = web_of(request)
    return render(request, "accounts.html", users=web.accounts.users(), tokens=web.accounts.tokens(),
                  agencies=web.accounts.agencies(), roles=[r.value for r in Role if r is not Role.STATION],
                  message=message, new_token=None)


@router.post("/admin/users")
def add_user(request: Request, username: str = Form(..., min_length=2, max_length=128),
             role: str = Form(...), agency: str = Form("", max_length=64), password: str = Form(..., max_length=256),
             full_name: str = Form("", max_length=255), visitor: Visitor = Depends(admin_only)) -> Response:
    web = web_of(request)
    try:
        web.accounts.add_user(username, Role(role), (agency,) if agency else (), password, full_name)
    except (AccountError, ValueError) as error:
        return render(request, "accounts.html", status=422, users=web.accounts.users(), tokens=web.accounts.tokens(),
                      agencies=web.accounts.agencies(), roles=[r.value for r in Role if r is not Role.STATION],
                      message=str(error), new_token=None)
    web.audit.append(visitor.entry(AuditAction.ACCOUNT, what="user_added", username=username, role=role))
    return RedirectResponse("/admin/accounts", status_code=303)


@router.post("/admin/users/{username}/active")
def set_active(request: Request, username: str, active: bool = Form(...),
               visitor: Visitor = Depends(admin_only)) -> Response:
    web = web_of(request)
    try:
        web.accounts.set_active(username, active)
    except AccountError:
        return RedirectResponse("/admin/accounts", status_code=303)
    web.audit.append(visitor.entry(AuditAction.ACCOUNT, what="enabled" if active else "disabled", username=username))
    return RedirectResponse("/admin/accounts", status_code=303)


@router.post("/admin/tokens")
def add_token(request: Request, station: str = Form(..., min_length=2, max_length=128),
              agency: str = Form(..., min_length=1, max_length=64), visitor: Visitor = Depends(admin_only)) -> Response:
    web = web_of(request)
    try:
        token_id, token = web.accounts.add_token(station, agency)
    except AccountError as error:
        return RedirectResponse(f"/admin/accounts?message={error}", status_code=303)
    web.audit.append(visitor.entry(AuditAction.ACCOUNT, what="token_added", station=station, token_id=token_id))
    return render(request, "accounts.html", users=web.accounts.users(), tokens=web.accounts.tokens(),
                  agencies=web.accounts.agencies(), roles=[r.value for r in Role if r is not Role.STATION],
                  message=None, new_token=token)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, visitor: Visitor = Depends(admin_only)) -> Response:
    web = web_of(request)
    try:
        web.accounts.revoke_token(token_id)
    except AccountError:
        return RedirectResponse("/admin/accounts", status_code=303)
    web.audit.append(visitor.entry(AuditAction.ACCOUNT, what="token_revoked", token_id=token_id))
    return RedirectResponse("/admin/accounts", status_code=303)


@router.get("/admin/audit")
def audit_page(request: Request, page: int = Query(1, ge=1, le=100_000), action: str = Query("", max_length=32),
               actor: str = Query("", max_length=128), visitor: Visitor = Depends(admin_only)) -> Response:
    web = web_of(request)
    rows, total = web.audit.recent(limit=50, offset=(page - 1) * 50, action=action or None, actor=actor or None)
    return render(request, "audit.html", rows=rows, total=total, page=page, action=action, actor=actor,
                  actions=[a.value for a in AuditAction],
                  parse=lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")))
