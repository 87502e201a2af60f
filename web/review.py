"""Phân loại: the dossiers the classifier was unsure of, oldest first, filed with one key.

The reviewer sees the first page and the top-3 suggestions with the text that led to each; keys
1, 2 and 3 (or a click) file the dossier under a suggestion, and any other procedure of the
catalog can be picked by name. Filing goes through `workers.classify.file_by_reviewer`, the same as
`sohoa review`, so it sets the due date and becomes a training example.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from storage.audit import AuditAction
from storage.vocabulary import DossierState
from web.auth import Permission, Visitor, require
from web.context import web_of
from web.render import render
from workers.catalog import current_catalog
from workers.classify import file_by_reviewer

router = APIRouter(include_in_schema=False)


def _page(request: Request, visitor: Visitor, dossier_id: int | None, message: str | None = None) -> Response:
    web = web_of(request)
    waiting, total = web.queries.review_queue(visitor.scope)
    current = None
    if dossier_id is not None:
        current = web.queries.dossier(dossier_id, visitor.scope)
        if current is None:
            raise HTTPException(404)
    elif waiting:
        current = web.queries.dossier(waiting[0].id, visitor.scope)
    catalog = current_catalog(web.services.settings)
    evidence = []
    if current is not None:
        web.audit.append(visitor.entry(AuditAction.VIEW, (current.id,), purpose="review"))
        evidence = web.queries.classification_evidence(current.id, visitor.scope)
    suggestions = []
    top = (current.suggestions or [])[:3] if current else []
    # Each suggestion's share of the evidence found: three procedures the form fits equally show
    # a third each, not the raw score (which reads "100%" for each of them).
    found = sum((max(float(s["score"]), 0.0) for s in top), 0.0)
    for s in top:
        procedure = catalog.get(s["procedure"])
        if procedure is not None:
            suggestions.append({"procedure": procedure, "share": max(float(s["score"]), 0.0) / found if found else 0.0,
                                "evidence": [e for e in evidence if e.get("procedure") == procedure.id][:2]})
    return render(request, "review.html", current=current, waiting=waiting, total=total, suggestions=suggestions,
                  procedures=sorted(catalog, key=lambda p: p.name), message=message)


@router.get("/review")
def review_queue(request: Request, done: str = "", visitor: Visitor = Depends(require(Permission.REVIEW))) -> Response:
    return _page(request, visitor, None, message=done or None)


@router.get("/review/{dossier_id}")
def review_one(request: Request, dossier_id: int, visitor: Visitor = Depends(require(Permission.REVIEW))) -> Response:
    return _page(request, visitor, dossier_id)


@router.post("/review/{dossier_id}")
def file_dossier(request: Request, dossier_id: int, procedure: str = Form(..., max_length=64),
                 visitor: Visitor = Depends(require(Permission.REVIEW))) -> Response:
    web = web_of(request)
    dossier = web.queries.dossier(dossier_id, visitor.scope)
    if dossier is None:
        raise HTTPException(404)
    if dossier.state != DossierState.NEEDS_REVIEW:
        return RedirectResponse("/review", status_code=303)
    try:
        filed = file_by_reviewer(dossier.id, procedure, f"web:{visitor.principal.username}", web.services)
    except KeyError:
        return _page(request, visitor, dossier.id)
    web.audit.append(visitor.entry(AuditAction.REVIEW, (dossier.id,), purpose=filed.procedure,
                                   was=dossier.procedure_id))
    return RedirectResponse(f"/review?done={dossier.code or dossier.id}", status_code=303)
