"""The signing page's JSON routes (`/api/v1/signing/...`), also used by `sohoa-agent sign-inbox`.

A session and its CSRF header (`X-CSRF-Token`) authenticate them, the role authorizes them, and
every task named must belong to a dossier of the person's agencies (in SQL: another agency's task
is a 404, like its dossier). The work is the server's batch protocol, unchanged:
`workers.browser_signing.prepare_batch` and `finish_batch` for a token on the official's PC, and
`workers.signing_inbox.seal_tasks` for the agency seal. Refusals of a whole batch are JSON with a
code and a message in English and Vietnamese: 409 not the person's turn, 422 a certificate that
must not sign, 400 anything malformed, 503 no seal key on the server. Routes are plain `def`:
preparing and finishing block (pyHanko, the TSA, OCSP), so they run in the thread pool.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from signing import CertificateRejected, SigningProblem, StepNotReady
from signing.remote import unb64
from storage.audit import AuditAction
from web.api import ERRORS, ApiError, error
from web.auth import Permission, Visitor, require
from web.context import web_of
from workers.browser_signing import finish_batch, prepare_batch, signatures_from
from workers.catalog import current_catalog
from workers.seal import SealNotConfigured
from workers.signing_inbox import ready_for, seal_tasks

router = APIRouter(prefix="/api/v1/signing", tags=["signing"])
MAX_BATCH = 200
REFUSALS: dict[int | str, dict[str, Any]] = {
    **ERRORS, 400: {"model": ApiError}, 409: {"model": ApiError, "description": "Not your turn to sign one of these"},
    422: {"model": ApiError}}

TaskId = Annotated[int, Field(ge=1, le=2**31 - 1)]  # what every SQL integer column holds
TaskIds = Annotated[list[TaskId], Field(min_length=1, max_length=MAX_BATCH)]
Base64 = Annotated[str, Field(max_length=65536)]


class InboxOut(BaseModel):
    task: int
    step: int
    role: str
    last_step: bool
    dossier_id: int
    code: str | None
    procedure: str | None
    procedure_name: str | None
    due_at: datetime | None


class PrepareIn(BaseModel):
    tasks: TaskIds
    certificate: Base64 = Field(description="The signer's certificate, DER in base64 (from the agent)")
    chain: Annotated[list[Base64], Field(max_length=10)] = []
    title: Annotated[str | None, Field(max_length=128, description="Title on the stamp, e.g. 'KT. CHỦ TỊCH'")] = None


class PreparationOut(BaseModel):
    id: str
    algorithm: str
    digest: str
    data: str | None = None
    task: int
    dossier: int
    certificate: str
    expires_at: str


class PrepareOut(BaseModel):
    preparations: list[PreparationOut]


class SignatureIn(BaseModel):
    preparation: Annotated[str, Field(max_length=128)]
    signature: Base64
    task: TaskId | None = None


class FinishIn(BaseModel):
    signatures: Annotated[list[SignatureIn], Field(min_length=1, max_length=MAX_BATCH)]


class OutcomeOut(BaseModel):
    task: int | None
    ok: bool
    detail: str
    detail_vi: str
    preparation: str | None = None
    refused: str | None = None
    level: str | None = None


class OutcomesOut(BaseModel):
    outcomes: list[OutcomeOut]


class SealIn(BaseModel):
    tasks: TaskIds


def _out_of_scope(request: Request, visitor: Visitor, task_ids: list[int]) -> JSONResponse | None:
    found = web_of(request).queries.tasks_in_scope(task_ids, visitor.scope)
    missing = sorted(set(task_ids) - set(found))
    if missing:
        return error(404, "no_such_task", f"no signing task {missing[0]} in your agencies",
                     f"Không có nhiệm vụ ký số {missing[0]} trong cơ quan của bạn")
    return None


def _dossiers(request: Request, visitor: Visitor, task_ids: list[int]) -> tuple[int, ...]:
    return tuple(sorted(set(web_of(request).queries.tasks_in_scope(task_ids, visitor.scope).values())))


@router.get("/inbox", response_model=list[InboxOut], responses=ERRORS)
def inbox(request: Request, visitor: Visitor = Depends(require(Permission.SIGN))) -> list[InboxOut]:
    """The tasks whose turn has come for me, oldest due first (what the Ký số page lists)."""
    web = web_of(request)
    items = ready_for(visitor.principal.username, visitor.scope, web.services)
    catalog = current_catalog(web.services.settings)
    if items:
        web.audit.append(visitor.entry(AuditAction.VIEW, tuple(i.dossier.id for i in items), purpose="sign",
                                       via="api"))
    out = []
    for i in items:
        procedure = catalog.get(i.dossier.procedure_id or "")
        out.append(InboxOut(task=i.task.id, step=i.task.step, role=i.task.role, last_step=i.last_step,
                            dossier_id=i.dossier.id, code=i.dossier.code, procedure=i.dossier.procedure_id,
                            procedure_name=procedure.name if procedure else None, due_at=i.dossier.due_at))
    return out


@router.post("/prepare", response_model=PrepareOut, responses=REFUSALS)
def prepare(request: Request, body: PrepareIn, visitor: Visitor = Depends(require(Permission.SIGN))
            ) -> PrepareOut | JSONResponse:
    """Prepare each task's document for the certificate on my token: the digests my token must sign."""
    web = web_of(request)
    if refused := _out_of_scope(request, visitor, body.tasks):
        return refused
    try:
        certificate = unb64(body.certificate, "certificate")
        chain = [unb64(c, "chain") for c in body.chain]
    except ValueError as exc:
        return error(400, "bad_request", str(exc), f"Yêu cầu không hợp lệ: {exc}")
    person = visitor.principal.username
    try:
        prepared = prepare_batch(person, body.tasks, certificate, chain, web.services, title=body.title)
    except StepNotReady as exc:
        return error(409, "not_your_turn", str(exc),
                     "Chưa đến lượt bạn ký một văn bản đã chọn (bước trước chưa ký, đã ký rồi, hoặc không "
                     "được phân công): tải lại trang")
    except CertificateRejected as exc:
        return error(422, "certificate_rejected", str(exc), f"Chứng thư số không được dùng để ký: {exc}")
    except (SigningProblem, ValueError, TypeError) as exc:  # a certificate that is no certificate, among others
        return error(400, "bad_request", str(exc) or type(exc).__name__,
                     f"Không chuẩn bị được văn bản để ký: {exc}")
    web.audit.append(visitor.entry(AuditAction.SIGN, _dossiers(request, visitor, body.tasks), purpose="sign",
                                   stage="prepare", tasks=body.tasks,
                                   certificate=hashlib.sha256(certificate).hexdigest()))
    return PrepareOut(preparations=[PreparationOut(**p.to_dict()) for p in prepared])


@router.post("/finish", response_model=OutcomesOut, responses=REFUSALS)
def finish(request: Request, body: FinishIn, visitor: Visitor = Depends(require(Permission.SIGN))
           ) -> OutcomesOut | JSONResponse:
    """Embed, verify and record each signature my token made; one outcome per signature, in order."""
    web = web_of(request)
    try:
        returned = signatures_from([s.model_dump() for s in body.signatures])
    except ValueError as exc:
        return error(400, "bad_request", str(exc), f"Yêu cầu không hợp lệ: {exc}")
    outcomes = finish_batch(visitor.principal.username, returned, web.services)
    tasks = [o.task_id for o in outcomes if o.task_id is not None]
    web.audit.append(visitor.entry(AuditAction.SIGN, _dossiers(request, visitor, tasks), purpose="sign",
                                   stage="finish", tasks=tasks, signed=[o.task_id for o in outcomes if o.ok]))
    return OutcomesOut(outcomes=[OutcomeOut(**o.to_dict()) for o in outcomes])


@router.post("/seal", response_model=OutcomesOut,
             responses={**REFUSALS, 503: {"model": ApiError, "description": "No seal key on the server"}})
def seal(request: Request, body: SealIn, visitor: Visitor = Depends(require(Permission.SEAL))
         ) -> OutcomesOut | JSONResponse:
    """Apply the agency's seal (the server's key, SOHOA_SEAL_P12) to each task: the clerk's step."""
    web = web_of(request)
    if refused := _out_of_scope(request, visitor, body.tasks):
        return refused
    try:
        outcomes = seal_tasks(visitor.principal.username, body.tasks, web.services)
    except StepNotReady as exc:
        return error(409, "not_your_turn", str(exc),
                     "Chưa đến lượt đóng dấu một văn bản đã chọn (bước trước chưa ký, đã đóng dấu rồi, hoặc "
                     "không được phân công): tải lại trang")
    except SealNotConfigured as exc:
        return error(503, "seal_not_configured", str(exc),
                     "Máy chủ chưa có khóa con dấu của cơ quan (SOHOA_SEAL_P12): báo quản trị viên")
    except SigningProblem as exc:
        return error(400, "seal_failed", str(exc), f"Không đóng dấu được: {exc}")
    web.audit.append(visitor.entry(AuditAction.SIGN, _dossiers(request, visitor, body.tasks), purpose="sign",
                                   stage="seal", tasks=body.tasks, signed=[o.task_id for o in outcomes if o.ok]))
    return OutcomesOut(outcomes=[
        OutcomeOut(task=o.task_id, ok=o.ok, detail=o.detail,
                   detail_vi="Đã đóng dấu và kiểm tra chữ ký" if o.ok
                   else f"Chữ ký không kiểm tra được, chưa được tính: {o.detail}") for o in outcomes])
