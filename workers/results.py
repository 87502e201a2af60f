"""Results of dossiers through their signing chain: attach, route, sign, verify, store, return.

The signing stage decides who may sign what and makes the signatures; this module keeps the
signing tasks in the register and every version of the result in the object store. A signature
only counts once it verifies: a result that fails verification never becomes "signed", and the
next step stays closed (`signing.routing.check_turn`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.rejection import Rejected
from signing import (
    SignatureAppearance,
    SigningProblem,
    SigningSession,
    StepState,
    check_turn,
    is_complete,
    may_sign,
    plan_steps,
)
from signing.documents import read_pdf
from signing.routing import Step
from storage.keys import result_key, signed_key
from storage.models import Dossier, SigningTask
from storage.objects import sha256_file
from storage.register import AttachedResult, NewFile, TaskPlan
from storage.vocabulary import FileRole
from workers.catalog import CatalogUnavailable, current_catalog
from workers.quarantine import free_name, quarantine
from workers.services import Services

PROCESSED, RETURNED = 9, 10  # legal statuses "Đã xử lý xong", "Đã trả kết quả" (domain.md)


class ResultError(Exception):
    """A result cannot be attached or signed as asked; the message says what to do."""


def assign(role: str, person: str, services: Services, actor: str) -> None:
    """Let `person` sign the steps of `role` (a catalog signer role, e.g. lanh_dao_ubnd_xa)."""
    services.register.assign_role(role, person, actor=actor)


def assignments(services: Services) -> dict[str, list[str]]:
    return services.register.role_assignments()


def _store_pdf(dossier: Dossier, data: bytes, role: FileRole, name: str, services: Services) -> NewFile:
    """Put the PDF in the object store (a no-op for bytes already there); what to record of it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "result.pdf"
        path.write_bytes(data)
        sha = sha256_file(path)
        key = result_key(dossier, sha) if role == FileRole.RESULT else signed_key(dossier, sha)
        info = services.objects.put(key, path, sha, "application/pdf")
    return NewFile(role, name, key, info.sha256, info.size, "application/pdf")


def add_result(dossier_id: int, pdf: Path, services: Services, actor: str) -> AttachedResult:
    """Attach a result PDF to a filed dossier and open one signing task per signer step.

    The same PDF attached again (a second `sohoa result add`, a file dropped twice) changes
    nothing: the answer has `new=False` and the tasks opened the first time.
    """
    register = services.register
    dossier = register.get(dossier_id)
    if dossier is None:
        raise ResultError(f"no dossier {dossier_id}")
    if not dossier.procedure_id:
        raise ResultError(f"dossier {dossier_id} has no procedure yet: file it first (sohoa review)")
    try:
        procedure = current_catalog(services.settings).get(dossier.procedure_id)
    except CatalogUnavailable as error:
        raise ResultError(f"{error}; {error.hint}") from error
    if procedure is None or not procedure.signers:
        raise ResultError(f"procedure {dossier.procedure_id} lists no signers in the catalog")
    data = pdf.read_bytes()
    read_pdf(data)  # UnreadablePdf for empty, corrupt, encrypted files
    steps = plan_steps(procedure.signers, assignments(services))
    file = _store_pdf(dossier, data, FileRole.RESULT, pdf.name, services)
    return register.attach_result(dossier_id, file, [TaskPlan(s.number, s.role, s.assignees) for s in steps],
                                  actor=actor)


@dataclass(frozen=True)
class Chain:
    """All tasks of one result, in step order, with what the routing rules need."""

    tasks: list[SigningTask]

    @property
    def steps(self) -> list[Step]:
        last = len(self.tasks)
        return [Step(number=t.step, role=t.role, assignees=tuple((t.assignee or "").split(",")),
                     locks=t.step == last) for t in self.tasks]

    @property
    def states(self) -> list[StepState]:
        return [StepState(t.state) for t in self.tasks]


def chain_of(task: SigningTask, services: Services) -> Chain:
    return Chain(services.register.tasks_of_file(task.file_id))


def task(task_id: int, services: Services) -> SigningTask:
    found = services.register.task(task_id)
    if found is None:
        raise ResultError(f"no signing task {task_id}: see `sohoa sign inbox`")
    return found


def inbox(services: Services, person: str | None = None) -> list[SigningTask]:
    """Tasks whose turn has come (every earlier step verified), for `person` when given."""
    waiting = services.register.tasks_in_state(StepState.waiting.value)
    chains = [(t, chain_of(t, services)) for t in waiting]
    return [t for t, chain in chains if may_sign(chain.steps, chain.states, t.step, person)]


def current_document(t: SigningTask, services: Services, work: Path) -> bytes:
    """The latest version of the result: after the previous step's signature, if any."""
    chain = chain_of(t, services)
    previous = [c.signed_file_id for c in chain.tasks if c.step < t.step and c.signed_file_id]
    file = services.register.file(previous[-1] if previous else t.file_id)
    path = work / f"task-{t.id}.pdf"
    services.objects.get(file.object_key, path, verify=True)
    return path.read_bytes()


def check_ready(task_ids: Sequence[int], person: str, services: Services) -> None:
    """Raise `StepNotReady` unless every task is `person`'s turn: asked before any PIN is typed."""
    for task_id in task_ids:
        t = task(task_id, services)
        chain = chain_of(t, services)
        check_turn(chain.steps, chain.states, t.step, person)


@dataclass(frozen=True)
class SignOutcome:
    task_id: int
    ok: bool
    detail: str


def sign_tasks(task_ids: Sequence[int], session: SigningSession, person: str, services: Services,
               *, title: str | None = None, signature_image: Path | None = None,
               seal_image: Path | None = None, trust_roots: Sequence[Path] = ()) -> list[SignOutcome]:
    """Sign each task in turn with one open signer (one PIN entry for the whole batch)."""
    outcomes = []
    roots = [*services.settings.trust_roots, *trust_roots]
    with tempfile.TemporaryDirectory() as tmp:
        for task_id in task_ids:
            t = task(task_id, services)
            chain = chain_of(t, services)
            step = check_turn(chain.steps, chain.states, t.step, person)
            dossier = services.register.get(t.dossier_id)
            assert dossier is not None
            appearance = SignatureAppearance(name=session.identity.name, title=title or step.role,
                                             agency=services.settings.agency_name,
                                             signature_image=signature_image, seal_image=seal_image)
            signed = session.sign(current_document(t, services, Path(tmp)), appearance, lock=step.locks)
            report = session.verify(signed.pdf, roots)  # the batch's OCSP/CRL answers, fetched once
            outcomes.append(record_signature(t, dossier, signed.pdf, report.ok, report.to_dict(), person,
                                    session.identity.name, services, level=signed.level.value))
    return outcomes


def record_signature(t: SigningTask, dossier: Dossier, pdf: bytes, ok: bool, report: dict[str, Any], person: str,
                     signer: str, services: Services, *, level: str) -> SignOutcome:
    """Store a signed version of `t`'s result if it verified, else refuse the step: whichever way it was signed."""
    register = services.register
    if not ok:
        register.refuse_signature(t.id, person=person, validation=report)
        return SignOutcome(t.id, False, "the signature did not verify: " + "; ".join(report["problems"]
                                                                                    or ["see sohoa verify"]))
    signed_file = _store_pdf(dossier, pdf, FileRole.SIGNED_RESULT, f"step-{t.step}.pdf", services)
    states = [StepState.verified if c.id == t.id else StepState(c.state) for c in chain_of(t, services).tasks]
    register.record_signature(t.id, signed_file, person=person, signer=signer, validation=report,
                              completes=is_complete(states), legal_status=PROCESSED)
    return SignOutcome(t.id, True, f"step {t.step} ({t.role}) signed as PAdES {level} and verified")


def return_result(dossier_id: int, services: Services, actor: str) -> None:
    """Record that the signed result was handed back: status 10, "Đã trả kết quả"."""
    dossier = services.register.get(dossier_id)
    if dossier is None:
        raise ResultError(f"no dossier {dossier_id}")
    if not services.register.return_result(dossier_id, actor=actor, from_status=PROCESSED, to_status=RETURNED):
        raise ResultError(f"dossier {dossier_id} has no fully signed result yet (status {dossier.legal_status})")


def receive_result(entry: Path, services: Services) -> int | None:
    """A result dropped as `results/<dossier code>.pdf` by another system: attach it, or quarantine it.

    Returns the dossier it was attached to (or had been: the same PDF dropped again leaves the
    folder like the first, attached once); a file that cannot be attached goes to quarantine with
    the reason, like any refused input, and the folder keeps flowing.
    """
    settings = services.settings
    dossier = services.register.find_by_code(entry.stem)
    try:
        if entry.suffix.lower() != ".pdf" or dossier is None:
            raise ResultError(f"no dossier has the code {entry.stem!r}; name the file <dossier code>.pdf")
        add_result(dossier.id, entry, services, actor="results-folder")
    except (ResultError, SigningProblem) as error:
        rejected = Rejected("result-refused", f"{error}.", f"Không nhận được kết quả: {error}.")
        quarantine(entry, rejected, settings.quarantine, services.register, "results-folder")
        return None
    done = settings.done / "results"
    done.mkdir(parents=True, exist_ok=True)
    shutil.move(str(entry), str(free_name(done, entry.name)))
    return dossier.id
