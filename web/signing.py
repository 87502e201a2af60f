"""Ký số: the results whose turn has come for the signed-in official or clerk, and their previews.

The page lists the tasks of `workers.signing_inbox.ready_for` (the routing rule of `sohoa sign
inbox`, scoped to the person's agencies in SQL), oldest due first. Its script (static/sign.js)
does the signing: it asks `sohoa-agent` on the official's PC for the certificate, has the server
prepare the batch (`/api/v1/signing/prepare`), has the agent sign every digest after one PIN, and
sends the signatures back (`/api/v1/signing/finish`); a clerk's "Đóng dấu" asks the server to
apply the agency seal (`/api/v1/signing/seal`). The page may talk to the agent on 127.0.0.1,
and to nothing else: its CSP adds only that to `connect-src`.

Every listing, preview and page image is an audit row, like the dossier pages.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response

from storage.audit import AuditAction
from storage.models import Dossier, SigningTask
from storage.objects import ObjectStoreError
from web.auth import Permission, Visitor, require
from web.context import web_of
from web.pageimages import WIDTHS, PageMissing, page_count, page_image
from web.render import render
from web.security import CSP
from workers.catalog import current_catalog
from workers.signing_inbox import current_file, ready_for

router = APIRouter(include_in_schema=False)
AGENT_JS = Path(__file__).resolve().parents[1] / "agent" / "sohoa-agent.js"
SIGNING_CSP = CSP + "; connect-src 'self' http://127.0.0.1:*"
"""The signing page's CSP: the app's, plus requests to the agent on the loopback address (any port)."""
MAX_PREVIEW_PAGES = 30


@router.get("/sign")
def sign_page(request: Request, visitor: Visitor = Depends(require(Permission.SIGN))) -> Response:
    web = web_of(request)
    items = ready_for(visitor.principal.username, visitor.scope, web.services)
    if items:
        web.audit.append(visitor.entry(AuditAction.VIEW, tuple(i.dossier.id for i in items), purpose="sign",
                                       tasks=[i.task.id for i in items]))
    response = render(request, "sign.html", items=items, catalog=current_catalog(web.services.settings),
                      may_sign=visitor.principal.role.value in ("official", "admin"),
                      may_seal=visitor.may(Permission.SEAL),
                      seal_ready=web.services.settings.seal_p12 is not None,
                      site=f"{request.url.scheme}://{request.url.netloc}")
    response.headers["Content-Security-Policy"] = SIGNING_CSP
    response.headers["Cache-Control"] = "no-store"  # personal data stays off shared caches
    return response


@router.get("/sign/sohoa-agent.js")
def agent_script() -> Response:
    """The agent's browser client (agent/sohoa-agent.js), served from the one copy the agent's tests use."""
    return FileResponse(AGENT_JS, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


def _task(request: Request, task_id: int, visitor: Visitor) -> tuple[SigningTask, Dossier]:
    found = web_of(request).queries.signing_task(task_id, visitor.scope)
    if found is None:
        raise HTTPException(404)
    return found


@router.get("/sign/tasks/{task_id}/preview")
def preview(request: Request, task_id: int, visitor: Visitor = Depends(require(Permission.SIGN))) -> Response:
    """The pages of the version to be signed, drawn by the server (an HTMX fragment of the page)."""
    web = web_of(request)
    task, dossier = _task(request, task_id, visitor)
    file = current_file(task, web.services)
    try:
        pages = page_count(web.services, file)
    except (ObjectStoreError, OSError) as error:
        raise HTTPException(404) from error
    web.audit.append(visitor.entry(AuditAction.VIEW, (dossier.id,), purpose="sign", task=task.id, file=file.id))
    response = render(request, "_sign_preview.html", task=task, d=dossier, file=file,
                      pages=range(1, min(pages, MAX_PREVIEW_PAGES) + 1), total=pages)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/sign/tasks/{task_id}/pages/{number}/image")
def preview_image(request: Request, task_id: int, number: int, size: str = Query("full", pattern="^(thumb|full)$"),
                  visitor: Visitor = Depends(require(Permission.SIGN))) -> Response:
    web = web_of(request)
    task, dossier = _task(request, task_id, visitor)
    file = current_file(task, web.services)
    try:
        path = page_image(web.services, [file], number, size if size in WIDTHS else "full")
    except (PageMissing, ObjectStoreError, OSError) as error:
        raise HTTPException(404) from error
    web.audit.append(visitor.entry(AuditAction.PAGE_IMAGE, (dossier.id,), purpose="sign", task=task.id,
                                   file=file.id, page=number, size=size))
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})
