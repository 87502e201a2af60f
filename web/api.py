"""The REST API (OpenAPI at /api/openapi.json, read at /api/docs): stations upload, sessions read.

`POST /api/v1/dossiers` takes a station token (`Authorization: Bearer ...`) and one file or several
page images; they are streamed to disk (never whole in memory), capped at SOHOA_MAX_FILE_MB, and go
through the inbox's own receive step (`workers.receive.receive`): the same settling-free checks,
quarantine and duplicate rules. 201 is a new dossier, 200 bytes already received, 422 a refusal
with its reason in English and Vietnamese. Reads are scoped like the pages and audited like them.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from storage.audit import AuditAction
from storage.models import Dossier
from storage.objects import CHUNK
from storage.search import SearchFilters
from web.auth import Permission, Visitor, current_visitor, require
from web.context import web_of
from workers.receive import receive
from workers.services import Services

router = APIRouter(prefix="/api/v1", tags=["dossiers"])


class ApiError(BaseModel):
    code: str
    message: str
    message_vi: str


class DossierOut(BaseModel):
    id: int
    code: str | None
    agency: str
    state: str
    legal_status: int
    procedure: str | None
    received_at: datetime
    due_at: datetime | None
    page_count: int | None


class UploadOut(BaseModel):
    dossier_id: int
    new: bool
    dossier: DossierOut


class HitOut(BaseModel):
    dossier_id: int
    code: str | None
    procedure: str | None
    score: float
    page: int
    snippet: str


ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ApiError}, 403: {"model": ApiError}, 404: {"model": ApiError}}


def error(status: int, code: str, message: str, message_vi: str) -> JSONResponse:
    return JSONResponse(ApiError(code=code, message=message, message_vi=message_vi).model_dump(), status_code=status)


def _out(d: Dossier) -> DossierOut:
    return DossierOut(id=d.id, code=d.code, agency=d.agency, state=d.state, legal_status=d.legal_status,
                      procedure=d.procedure_id, received_at=d.received_at, due_at=d.due_at, page_count=d.page_count)


def reader(request: Request, visitor: Visitor = Depends(current_visitor)) -> Visitor:
    """People who may view dossiers, and stations (their own agency's dossiers only)."""
    if not (visitor.may(Permission.VIEW) or visitor.may(Permission.UPLOAD)):
        raise HTTPException(403)
    return visitor


def services_for(services: Services, agency: str) -> Services:
    """The process's services with the station's agency, sharing its register and object store."""
    if agency == services.settings.agency:
        return services
    other = Services(services.settings.model_copy(update={"agency": agency}))
    other.__dict__["register"], other.__dict__["objects"] = services.register, services.objects
    return other


def _safe(name: str | None, fallback: str) -> str:
    base = Path(name or "").name
    return base if base and base not in (".", "..") else fallback


@router.post("/dossiers", status_code=201, response_model=UploadOut,
             responses={200: {"model": UploadOut, "description": "These bytes were received before"},
                        413: {"model": ApiError}, 422: {"model": ApiError}, **ERRORS})
def upload(request: Request, files: Annotated[list[UploadFile], File(description="One file, or the pages in order")],
           code: Annotated[str | None, Form(max_length=64, description="Dossier code (mã hồ sơ), if known")] = None,
           visitor: Visitor = Depends(require(Permission.UPLOAD))) -> JSONResponse:
    web = web_of(request)
    settings = web.services.settings
    cap = settings.max_file_mb * 2**20
    if int(request.headers.get("content-length") or 0) > cap * max(len(files), 1) + 2**20:
        return error(413, "too_large", f"the upload is larger than {settings.max_file_mb} MB a file",
                     f"tệp tải lên lớn hơn {settings.max_file_mb} MB")
    folder = settings.home / "uploads" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        stem = _safe(code, "") if code else ""
        if len(files) == 1:
            entry = folder / (stem + Path(_safe(files[0].filename, "upload")).suffix if stem
                              else _safe(files[0].filename, "upload"))
            targets = [entry]
        else:
            entry = folder / (stem or f"upload-{folder.name[:8]}")
            entry.mkdir()
            targets = [entry / f"{i:04d}-{_safe(f.filename, 'page')}" for i, f in enumerate(files, start=1)]
        for upload_file, target in zip(files, targets, strict=True):
            if not _copy_capped(upload_file, target, cap):
                return error(413, "too_large", f"{upload_file.filename}: larger than {settings.max_file_mb} MB",
                             f"{upload_file.filename}: lớn hơn {settings.max_file_mb} MB")
        station = visitor.principal.username
        agency = visitor.principal.agencies[0] if visitor.principal.agencies else settings.agency
        result = receive(entry, services_for(web.services, agency), actor=f"station:{station}", station=station)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if result.dossier_id is None:
        reason_vi = ""
        if result.quarantined_to is not None:
            reason_file = result.quarantined_to.with_name(result.quarantined_to.name + ".reason.txt")
            if reason_file.exists():
                reason_vi = [*reason_file.read_text(encoding="utf-8").splitlines(), "", ""][1]
        web.audit.append(visitor.entry(AuditAction.UPLOAD, refused=result.reason or ""))
        return error(422, "refused", result.reason or "the file was refused", reason_vi or "tệp bị từ chối")
    if result.new and web.submit is not None:
        web.submit(result.dossier_id)
    dossier = web.services.register.get(result.dossier_id)
    assert dossier is not None
    web.audit.append(visitor.entry(AuditAction.UPLOAD, (dossier.id,), new=result.new))
    body = UploadOut(dossier_id=dossier.id, new=result.new, dossier=_out(dossier))
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if result.new else 200)


def _copy_capped(upload_file: UploadFile, target: Path, cap: int) -> bool:
    """Copy the spooled upload to `target` in chunks; False (and nothing kept) past `cap` bytes."""
    written = 0
    with target.open("wb") as out:
        while chunk := upload_file.file.read(CHUNK):
            written += len(chunk)
            if written > cap:
                break
            out.write(chunk)
    if written > cap:
        target.unlink()
        return False
    return True


@router.get("/dossiers/{dossier_id}", response_model=DossierOut, responses=ERRORS)
def get_dossier(request: Request, dossier_id: int, visitor: Visitor = Depends(reader)) -> DossierOut:
    web = web_of(request)
    dossier = web.queries.dossier(dossier_id, visitor.scope)
    if dossier is None:
        raise HTTPException(404)
    web.audit.append(visitor.entry(AuditAction.VIEW, (dossier.id,), purpose=dossier.procedure_id, via="api"))
    return _out(dossier)


@router.get("/dossiers", response_model=DossierOut, responses=ERRORS)
def dossier_by_code(request: Request, code: Annotated[str, Query(min_length=1, max_length=64)],
                    visitor: Visitor = Depends(reader)) -> DossierOut:
    web = web_of(request)
    dossier = web.queries.dossier_by_code(code, visitor.scope)
    if dossier is None:
        raise HTTPException(404)
    web.audit.append(visitor.entry(AuditAction.VIEW, (dossier.id,), purpose=dossier.procedure_id, via="api"))
    return _out(dossier)


@router.get("/search", response_model=list[HitOut], responses=ERRORS)
def search(request: Request, q: Annotated[str, Query(min_length=1, max_length=300)],
           limit: Annotated[int, Query(ge=1, le=100)] = 20,
           visitor: Visitor = Depends(require(Permission.SEARCH))) -> list[HitOut]:
    web = web_of(request)
    agencies = visitor.scope.agencies
    if agencies == ():
        return []
    hits = web.services.register.search(q, filters=SearchFilters(agencies=agencies or ()), limit=limit)
    visible = web.queries.summaries([h.dossier_id for h in hits], visitor.scope)
    hits = [h for h in hits if h.dossier_id in visible]
    web.audit.append(visitor.entry(AuditAction.SEARCH, tuple(h.dossier_id for h in hits), query=q, via="api"))
    return [HitOut(dossier_id=h.dossier_id, code=h.code, procedure=h.procedure_id, score=h.score, page=h.page,
                   snippet=h.snippet) for h in hits]
