"""Browser signing: the server's two halves of a batch signed by a token on the official's own PC.

The page (or `AgentClient`) asks the agent for the official's certificate, then:

1. `prepare_batch` checks every task is the person's turn (before any PIN is typed), checks the
   certificate once (validity, trust, revocation), prepares each document with it (pyHanko
   interrupted signing, the ND 30 stamp) and keeps each preparation in the register, bound to the
   task, the certificate and the user until `SOHOA_SIGN_PREPARE_MINUTES` have passed. It returns
   the digest (and the DER signed attributes) the token must sign for each document.
2. The agent signs them all after one PIN.
3. `finish_batch` takes each signature back: a preparation is used once, by its user, for its
   task, before it expires, and the task must still be that user's turn; the signature must be
   over the prepared attributes by the prepared certificate. The signature is then embedded (B-T
   with `SOHOA_TSA_URL`; B-LT when trust roots are set and the CA's OCSP/CRL answer), verified
   like every signature sohoa makes, stored, and the task moves on exactly as `sohoa sign` does.
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from settings import Settings
from signing import SignatureAppearance, SigningProblem, StepNotReady, check_turn, vietnam_time
from signing.external import ExternalSession, PreparedSignature
from signing.pades import Level
from signing.remote import DigestToSign, unb64
from storage.models import SigningTask, SignPreparation
from storage.vocabulary import Action
from workers.results import chain_of, check_ready, current_document, record_signature, task
from workers.services import Services


class Refused(StrEnum):
    """Why `finish_batch` did not count a returned signature."""

    unknown = "unknown"
    used = "used"
    other_user = "other_user"
    other_task = "other_task"
    expired = "expired"
    not_turn = "not_turn"
    bad_signature = "bad_signature"
    not_verified = "not_verified"


VIETNAMESE = {
    Refused.unknown: "Không tìm thấy văn bản đã chuẩn bị ký: hãy ký lại",
    Refused.used: "Văn bản đã chuẩn bị này đã được dùng: hãy ký lại",
    Refused.other_user: "Văn bản này được chuẩn bị cho người ký khác",
    Refused.other_task: "Chữ ký này được chuẩn bị cho văn bản khác",
    Refused.expired: "Quá thời hạn ký văn bản đã chuẩn bị: hãy ký lại",
    Refused.not_turn: "Chưa đến lượt ký hoặc văn bản đã được ký",
    Refused.bad_signature: "Chữ ký không khớp với văn bản và chứng thư số đã chuẩn bị",
    Refused.not_verified: "Chữ ký không kiểm tra được: chưa được tính",
}


@dataclass(frozen=True)
class Preparation:
    """One prepared document: what the token must sign for it, and until when."""

    id: str
    task_id: int
    dossier_id: int
    certificate_sha256: str
    signed_attributes: bytes
    expires_at: datetime

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.signed_attributes).digest()

    def to_sign(self) -> DigestToSign:
        """The item to hand the agent (or any `DigestSigner`)."""
        return DigestToSign(id=self.id, digest=self.digest, data=self.signed_attributes)

    def to_dict(self) -> dict[str, Any]:
        """JSON for the signing page: the agent's item fields plus the task and the expiry."""
        return {**self.to_sign().to_wire(), "task": self.task_id, "dossier": self.dossier_id,
                "certificate": self.certificate_sha256, "expires_at": vietnam_time(self.expires_at)}


@dataclass(frozen=True)
class Returned:
    """A signature coming back for a preparation; `task_id` when the page says which task it meant."""

    preparation_id: str
    signature: bytes
    task_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one returned signature, in English and Vietnamese for the page."""

    preparation_id: str
    task_id: int | None
    ok: bool
    detail: str
    detail_vi: str
    refused: Refused | None = None
    level: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"preparation": self.preparation_id, "task": self.task_id, "ok": self.ok, "detail": self.detail,
                "detail_vi": self.detail_vi, "refused": self.refused.value if self.refused else None,
                "level": self.level}


def _level(settings: Settings) -> Level:
    """B-LT when there is a TSA and trust roots to collect validation data against, else what is possible."""
    if settings.tsa_url and settings.trust_roots:
        return Level.B_LT
    return Level.B_T if settings.tsa_url else Level.B_B


def _session(certificate_der: bytes, chain: Sequence[bytes], settings: Settings) -> ExternalSession:
    return ExternalSession(certificate_der, tuple(chain), level=_level(settings), tsa_url=settings.tsa_url,
                           trust_roots=list(settings.trust_roots))


def prepare_batch(person: str, task_ids: Sequence[int], certificate_der: bytes, chain: Sequence[bytes],
                  services: Services, *, title: str | None = None) -> list[Preparation]:
    """Prepare each task's current document for `person`'s certificate; the digests to sign, in order.

    Raises `StepNotReady` if any task is not `person`'s turn and `CertificateRejected` for an
    expired, revoked or untrusted certificate, both before anything is prepared.
    """
    settings, register = services.settings, services.register
    check_ready(task_ids, person, services)
    now = datetime.now(UTC)
    register.drop_preparations(expired_before=now)
    expires = now + timedelta(minutes=settings.sign_prepare_minutes)
    fingerprint = hashlib.sha256(certificate_der).hexdigest()
    prepared, rows = [], []
    session = _session(certificate_der, chain, settings)  # typed as the external session `with` would not keep
    with session, tempfile.TemporaryDirectory() as tmp:
        session.check_signer()
        for task_id in task_ids:
            t = task(task_id, services)
            links = chain_of(t, services)
            step = check_turn(links.steps, links.states, t.step, person)
            appearance = SignatureAppearance(name=session.identity.name, title=title or step.role,
                                             agency=settings.agency_name)
            state = session.prepare(current_document(t, services, Path(tmp)), appearance, lock=step.locks)
            row = SignPreparation(id=secrets.token_urlsafe(24), task_id=t.id, username=person,
                                  certificate_sha256=fingerprint, state=replace(state, pdf=b"").to_json(),
                                  pdf=state.pdf, created_at=now, expires_at=expires)
            rows.append((row, {"task": t.id, "step": t.step, "certificate": fingerprint}))
            prepared.append(Preparation(id=row.id, task_id=t.id, dossier_id=t.dossier_id,
                                        certificate_sha256=fingerprint, signed_attributes=state.signed_attributes,
                                        expires_at=expires))
    register.add_preparations(rows, actor=person)  # one transaction for the batch
    return prepared


def finish_batch(person: str, returned: Sequence[Returned], services: Services) -> list[Outcome]:
    """Embed, verify and record each returned signature; one outcome per signature, in order.

    A signature counts only once the signed document verifies; every refusal leaves the task
    waiting (a document that fails verification is refused, as with `sohoa sign`). The checks and
    the claims of the whole batch are made first (one read, one transaction), so that the
    documents can then be timestamped ahead of their embedding (`ExternalSession.finish_all`).
    """
    register = services.register
    outcomes: list[Outcome | None] = [None] * len(returned)
    rows = register.preparations([item.preparation_id for item in returned])
    ready: list[tuple[int, SignPreparation, SigningTask]] = []
    for i, item in enumerate(returned):
        checked = _check(person, item, rows.get(item.preparation_id), services)
        if isinstance(checked, Outcome):
            outcomes[i] = checked
        else:
            ready.append((i, *checked))
    claimed = register.claim_preparations([row.id for _, row, _ in ready])
    by_certificate: dict[str, list[tuple[int, PreparedSignature, SigningTask]]] = {}
    for i, row, t in ready:
        if row.id not in claimed:  # used meanwhile, or twice in this batch
            outcomes[i] = _refuse(returned[i], t.id, Refused.used, "this preparation was already used: sign again")
            continue
        claimed.discard(row.id)
        state = replace(PreparedSignature.from_json(row.state), pdf=row.pdf)
        by_certificate.setdefault(row.certificate_sha256, []).append((i, state, t))
    for jobs in by_certificate.values():
        _finish_jobs(person, jobs, returned, outcomes, services)
    done = [outcome for outcome in outcomes if outcome is not None]
    assert len(done) == len(returned), "every returned signature has its outcome"
    return done


def _refuse(item: Returned, task_id: int | None, why: Refused, detail: str) -> Outcome:
    return Outcome(item.preparation_id, task_id, False, detail, VIETNAMESE[why], why)


def _check(person: str, item: Returned, row: SignPreparation | None, services: Services
           ) -> Outcome | tuple[SignPreparation, SigningTask]:
    """The refusal of `item`, or its preparation and task: used once, by its user, for its task, in time, in turn."""
    if row is None:
        return _refuse(item, item.task_id, Refused.unknown, "no such preparation (used or expired): sign again")
    if row.used_at is not None:
        return _refuse(item, row.task_id, Refused.used, "this preparation was already used: sign again")
    if row.username != person:
        return _refuse(item, row.task_id, Refused.other_user, "this document was prepared for another user")
    if item.task_id is not None and item.task_id != row.task_id:
        return _refuse(item, item.task_id, Refused.other_task,
                       f"this signature was prepared for task {row.task_id}, not task {item.task_id}")
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if datetime.now(UTC) >= expires:
        return _refuse(item, row.task_id, Refused.expired,
                       f"the preparation expired at {vietnam_time(expires)}: sign again")
    t = _in_turn(person, item, row.task_id, services)
    return t if isinstance(t, Outcome) else (row, t)


def _in_turn(person: str, item: Returned, task_id: int, services: Services) -> SigningTask | Outcome:
    """The task, read afresh, if it is still `person`'s turn; else the refusal."""
    t = task(task_id, services)
    links = chain_of(t, services)
    try:
        check_turn(links.steps, links.states, t.step, person)
    except StepNotReady as exc:
        return _refuse(item, t.id, Refused.not_turn, str(exc))
    return t


def _finish_jobs(person: str, jobs: list[tuple[int, PreparedSignature, SigningTask]], returned: Sequence[Returned],
                 outcomes: list[Outcome | None], services: Services) -> None:
    """Finish, verify and record the claimed documents of one certificate, with one session."""
    register = services.register
    first = jobs[0][1]
    session = _session(first.signer_certificate, first.chain, services.settings)  # `with` would type it plainer
    with session, closing(session.finish_all([(state, returned[i].signature) for i, state, _ in jobs])) as finished:
        for (i, _, t), signed in zip(jobs, finished, strict=True):
            item = returned[i]
            if isinstance(signed, SigningProblem):
                register.add_event(t.dossier_id, person, Action.SIGNATURE_REFUSED,
                                   {"task": t.id, "problems": [str(signed)]})
                outcomes[i] = _refuse(item, t.id, Refused.bad_signature, str(signed))
                continue
            current = _in_turn(person, item, t.id, services)  # again: another batch may have signed it since
            if isinstance(current, Outcome):
                outcomes[i] = current
                continue
            report = session.verify(signed.pdf)  # signing.verify, its OCSP/CRL answers shared by the batch
            dossier = register.get(t.dossier_id)
            assert dossier is not None
            recorded = record_signature(t, dossier, signed.pdf, report.ok, report.to_dict(), person,
                                        session.identity.name, services, level=signed.level.value)
            if not recorded.ok:
                outcomes[i] = _refuse(item, t.id, Refused.not_verified, recorded.detail)
                continue
            outcomes[i] = Outcome(item.preparation_id, t.id, True, f"{recorded.detail} ({signed.level.value})",
                                  f"Đã ký và kiểm tra chữ ký ({signed.level.value})", level=signed.level.value)


def signatures_from(items: Sequence[dict[str, Any]]) -> list[Returned]:
    """`Returned` items from the page's JSON: {"preparation", "signature" (base64), "task"}; `ValueError` if bad."""
    result = []
    for raw in items:
        if not isinstance(raw, dict) or not isinstance(raw.get("preparation"), str):
            raise ValueError("each signature needs its preparation id")
        task_id = raw.get("task")
        if task_id is not None and not isinstance(task_id, int):
            raise ValueError("task must be a number")
        result.append(Returned(raw["preparation"], unb64(raw.get("signature"), "signature"), task_id))
    return result

