"""Hồ sơ: one dossier for the people allowed to read it, with its pages, text, history and files.

Every read goes through a scoped query (another agency's dossier is a 404, whatever id or code is
guessed) and leaves an audit row: the view, each page image, the OCR text, each download.
Downloads are looked up by the file's id in the register, never by a key from the request, and
the store refuses any key that would leave it (`storage.objects.check_key`). An archivist's
"Xuất gói lưu trữ" makes the dossier's E-ARK SIP (`workers.archive.export_dossier`, as `sohoa
archive export` does) in a scratch folder, hands it over as one ZIP and leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from storage.audit import AuditAction
from storage.local import LocalObjectStore
from storage.models import Dossier
from storage.objects import ObjectStoreError, sha256_file
from storage.vocabulary import FileRole
from web.auth import Permission, Visitor, require
from web.context import web_of
from web.labels import FILE_ROLE
from web.pageimages import WIDTHS, PageMissing, page_image
from web.render import gettext_for, render
from workers.archive import export_dossier
from workers.catalog import current_catalog

router = APIRouter(include_in_schema=False)


def scoped_dossier(request: Request, dossier_id: int, visitor: Visitor) -> Dossier:
    dossier = web_of(request).queries.dossier(dossier_id, visitor.scope)
    if dossier is None:
        raise HTTPException(404)
    return dossier


@router.get("/dossiers/by-code/{code}")
def by_code(request: Request, code: str, visitor: Visitor = Depends(require(Permission.VIEW))) -> Response:
    dossier = web_of(request).queries.dossier_by_code(code, visitor.scope)
    if dossier is None:
        raise HTTPException(404)
    return RedirectResponse(f"/dossiers/{dossier.id}", status_code=303)


@router.get("/dossiers/{dossier_id}")
def dossier_page(request: Request, dossier_id: int, visitor: Visitor = Depends(require(Permission.VIEW))) -> Response:
    web = web_of(request)
    dossier = scoped_dossier(request, dossier_id, visitor)
    web.audit.append(visitor.entry(AuditAction.VIEW, (dossier.id,), purpose=dossier.procedure_id))
    catalog = current_catalog(web.services.settings)
    return render(request, "dossier.html", d=dossier, procedure=catalog.get(dossier.procedure_id or ""),
                  events=web.queries.events(dossier.id, visitor.scope), file_role=FILE_ROLE,
                  low=web.services.settings.rescan_confidence)


@router.get("/dossiers/{dossier_id}/pages/{number}")
def page_view(request: Request, dossier_id: int, number: int,
              visitor: Visitor = Depends(require(Permission.VIEW))) -> Response:
    """A page large, with the text OCR read beside it."""
    web = web_of(request)
    dossier = scoped_dossier(request, dossier_id, visitor)
    page = next((p for p in dossier.pages if p.number == number), None)
    if page is None:
        raise HTTPException(404)
    web.audit.append(visitor.entry(AuditAction.OCR_TEXT, (dossier.id,), purpose=dossier.procedure_id, page=number))
    return render(request, "page.html", d=dossier, page=page, low=web.services.settings.rescan_confidence,
                  pages=len(dossier.pages))


@router.get("/dossiers/{dossier_id}/pages/{number}/image")
def page_image_route(request: Request, dossier_id: int, number: int,
                     size: str = Query("full", pattern="^(thumb|full)$"),
                     visitor: Visitor = Depends(require(Permission.VIEW))) -> Response:
    web = web_of(request)
    dossier = scoped_dossier(request, dossier_id, visitor)
    originals = [f for f in dossier.files if f.role == FileRole.ORIGINAL]
    page = next((p for p in dossier.pages if p.number == number), None)
    try:
        path = page_image(web.services, originals, number, size if size in WIDTHS else "full",
                          page.rotation if page else 0)
    except (PageMissing, ObjectStoreError, OSError) as error:
        raise HTTPException(404) from error
    web.audit.append(visitor.entry(AuditAction.PAGE_IMAGE, (dossier.id,), purpose=dossier.procedure_id,
                                   page=number, size=size))
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


@router.get("/dossiers/{dossier_id}/files/{file_id}")
def download(request: Request, dossier_id: int, file_id: int,
             visitor: Visitor = Depends(require(Permission.VIEW))) -> Response:
    """A stored file (original, digitized copy, signed result), its bytes checked on the way out."""
    web = web_of(request)
    file = web.queries.file(dossier_id, file_id, visitor.scope)
    if file is None:
        raise HTTPException(404)
    store = web.services.objects
    name = Path(file.name).name or "file"
    try:
        if isinstance(store, LocalObjectStore):
            path = store.local_path(file.object_key)
            if not path.is_file():
                raise HTTPException(404)
            cleanup = None
        else:
            fd, tmp = tempfile.mkstemp(prefix="download-")
            os.close(fd)
            path, cleanup = Path(tmp), BackgroundTask(os.unlink, tmp)
            store.get(file.object_key, path, verify=True)
    except ObjectStoreError as error:
        raise HTTPException(404) from error
    web.audit.append(visitor.entry(AuditAction.DOWNLOAD, (dossier_id,), file=file.id, role=file.role,
                                   sha256=file.sha256))
    return FileResponse(path, media_type=file.media_type, filename=name, background=cleanup)


@router.post("/dossiers/{dossier_id}/archive")
def export_package(request: Request, dossier_id: int, visitor: Visitor = Depends(require(Permission.EXPORT))
                   ) -> Response:
    """The dossier's archive package (E-ARK SIP, Thông tư 05/2025/TT-BNV) as one ZIP, audited as an export."""
    web = web_of(request)
    dossier = scoped_dossier(request, dossier_id, visitor)
    settings = web.services.settings
    settings.work.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="archive-", dir=settings.work))
    exported = export_dossier(dossier.id, web.services, scratch, as_zip=True,
                              actor=f"web:{visitor.principal.username}")
    if exported.package is None:
        shutil.rmtree(scratch, ignore_errors=True)
        _ = gettext_for(request)
        return render(request, "error.html", status=500, title=_("The archive package could not be made"),
                      message=exported.detail)
    web.audit.append(visitor.entry(AuditAction.EXPORT, (dossier.id,), purpose=dossier.procedure_id,
                                   package=exported.package.name, sha256=sha256_file(exported.package)))
    return FileResponse(exported.package, media_type="application/zip", filename=exported.package.name,
                        background=BackgroundTask(shutil.rmtree, scratch, ignore_errors=True))
