"""Tra cứu tiến độ: the counter's public kiosk. A citizen scans or types the code on the receipt
slip and sees the status, the due date and whether the result is ready: no name, no ID number, no
address, no login. Look-ups are limited per address, so codes cannot be walked through."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from web.auth import client_ip
from web.context import web_of
from web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/kiosk")
def kiosk(request: Request, code: str = Query("", max_length=64)) -> Response:
    web = web_of(request)
    code = code.strip().upper()
    if not code:
        return render(request, "kiosk.html", code="", status_found=None, searched=False)
    if not web.kiosk_limiter.allow(client_ip(request) or "?"):
        return render(request, "kiosk.html", status=429, code=code, status_found=None, searched=True, limited=True)
    found = web.queries.kiosk(code)
    return render(request, "kiosk.html", code=code, status_found=found, searched=True)
