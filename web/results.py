"""Kết quả: the clerk attaches a dossier's result PDF and records that the citizen took it.

Attaching is `workers.results.add_result`, the function behind `sohoa result add`, so the same
rules refuse the same files (no procedure yet, a procedure without signers, a role nobody holds,
a file that is no readable PDF); each refusal is shown in the page's language with the English
detail beside it. "Đã trả kết quả" is `workers.results.return_result` (status 10, the return
time, an event), as `sohoa return`. The upload is streamed to a scratch file capped at
SOHOA_MAX_FILE_MB and removed afterwards. The dossier is found by its code within the clerk's
agencies only; every listing, attachment and return is an audit row.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from signing import SigningProblem, UnassignedRole, UnreadablePdf
from storage.audit import AuditAction
from storage.models import Dossier
from web.api import _copy_capped
from web.auth import Permission, Visitor, require
from web.context import web_of
from web.render import gettext_for, render
from workers.results import PROCESSED, ResultError, add_result, return_result

router = APIRouter(include_in_schema=False)


def _page(request: Request, visitor: Visitor, status: int = 200, **context: Any) -> Response:
    web = web_of(request)
    waiting = web.queries.awaiting_return(visitor.scope, PROCESSED)
    if waiting:
        web.audit.append(visitor.entry(AuditAction.VIEW, tuple(d.id for d in waiting), purpose="return"))
    response = render(request, "results.html", status=status, waiting=waiting, **context)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/results")
def results_page(request: Request, visitor: Visitor = Depends(require(Permission.RESULTS))) -> Response:
    return _page(request, visitor)


def refusal(request: Request, problem: Exception) -> str:
    """Why `add_result` refused, in the page's language (the English detail is shown beside it)."""
    _ = gettext_for(request)
    text = str(problem)
    if isinstance(problem, UnreadablePdf):
        return _("The file is not a readable PDF (empty, damaged, password-protected or another format).")
    if isinstance(problem, UnassignedRole):
        return _("Nobody is assigned to sign this procedure's results yet: ask an administrator "
                 "(sohoa signers assign).")
    if "has no procedure yet" in text:
        return _("This dossier has no procedure yet: it must be classified first.")
    if "lists no signers" in text:
        return _("This procedure lists no signers in the catalog.")
    return _("The result could not be attached.")


def _dossier(request: Request, visitor: Visitor, ref: str) -> Dossier | None:
    queries = web_of(request).queries
    ref = ref.strip()
    found = queries.dossier_by_code(ref, visitor.scope)
    if found is None and ref.isdigit():
        found = queries.dossier(int(ref), visitor.scope)
    return found


@router.post("/results")
def attach(request: Request, code: str = Form(..., max_length=64), file: UploadFile = File(...),
           visitor: Visitor = Depends(require(Permission.RESULTS))) -> Response:
    web, _ = web_of(request), gettext_for(request)
    settings = web.services.settings
    dossier = _dossier(request, visitor, code)
    if dossier is None:
        return _page(request, visitor, 404, error=_("No dossier of your agencies has the code {code}.").format(
            code=code), code=code)
    settings.work.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="result-", dir=settings.work))
    try:
        name = Path(file.filename or "").name or "ket-qua.pdf"
        path = scratch / (name if name not in (".", "..") else "ket-qua.pdf")
        if not _copy_capped(file, path, settings.max_file_mb * 2**20):
            return _page(request, visitor, 413, code=code,
                         error=_("The file is larger than {mb} MB.").format(mb=settings.max_file_mb))
        try:
            attached = add_result(dossier.id, path, web.services, actor=f"web:{visitor.principal.username}")
        except (ResultError, SigningProblem) as problem:
            web.audit.append(visitor.entry(AuditAction.UPLOAD, (dossier.id,), purpose=dossier.procedure_id,
                                           kind="result", refused=str(problem)))
            return _page(request, visitor, 422, error=refusal(request, problem), detail=str(problem), code=code)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    web.audit.append(visitor.entry(AuditAction.UPLOAD, (dossier.id,), purpose=dossier.procedure_id, kind="result",
                                   sha256=attached.sha256, new=attached.new))
    if attached.new:
        message = _("Result attached to {code}: {n} signing steps opened ({roles}).").format(
            code=dossier.code or dossier.id, n=len(attached.tasks), roles=", ".join(t.role for t in attached.tasks))
    else:
        message = _("This PDF was already attached to {code}: nothing changed.").format(code=dossier.code or dossier.id)
    return _page(request, visitor, message=message)


@router.post("/results/{dossier_id}/returned")
def returned(request: Request, dossier_id: int, visitor: Visitor = Depends(require(Permission.RESULTS))
             ) -> Response:
    """Record "Đã trả kết quả" (status 10) when the citizen takes the signed result."""
    web, _ = web_of(request), gettext_for(request)
    dossier = web.queries.dossier(dossier_id, visitor.scope)
    if dossier is None:
        raise HTTPException(404)
    try:
        return_result(dossier.id, web.services, actor=f"web:{visitor.principal.username}")
    except ResultError as problem:
        return _page(request, visitor, 409, detail=str(problem),
                     error=_("This dossier has no fully signed result yet: it cannot be handed back."))
    web.audit.append(visitor.entry(AuditAction.RETURN, (dossier.id,), purpose=dossier.procedure_id))
    return _page(request, visitor, message=_("Recorded: the result of {code} was handed back.").format(
        code=dossier.code or dossier.id))

