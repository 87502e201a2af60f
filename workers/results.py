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
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

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
    verify,
)
from signing.documents import read_pdf
from signing.routing import Step
from storage.models import Dossier, File, RoleAssignment, SigningTask
from storage.objects import sha256_file
from workers.classify import current_catalog
from workers.quarantine import free_name, quarantine
from workers.services import Services

PROCESSED, RETURNED = 9, 10  # legal statuses "Đã xử lý xong", "Đã trả kết quả" (domain.md)


class ResultError(Exception):
    """A result cannot be attached or signed as asked; the message says what to do."""


def assign(role: str, person: str, services: Services, actor: str) -> None:
    """Let `person` sign the steps of `role` (a catalog signer role, e.g. lanh_dao_ubnd_xa)."""
    with services.register.session() as session:
        if session.get(RoleAssignment, (role, person)) is None:
            session.add(RoleAssignment(role=role, username=person))
    services.register.add_event(None, actor, "role_assigned", {"role": role, "person": person})


def assignments(services: Services) -> dict[str, list[str]]:
    with services.register.session() as session:
        result: dict[str, list[str]] = {}
        for row in session.scalars(select(RoleAssignment).order_by(RoleAssignment.role, RoleAssignment.username)):
            result.setdefault(row.role, []).append(row.username)
        return result


def _store_pdf(dossier: Dossier, data: bytes, folder: str, role: str, name: str, services: Services) -> File:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "result.pdf"
        path.write_bytes(data)
        sha = sha256_file(path)
        key = f"{dossier.agency}/{dossier.received_at:%Y/%m}/{dossier.id}/{folder}/{sha}.pdf"
        info = services.objects.put(key, path, sha, "application/pdf")
    return services.register.add_file(dossier.id, role=role, name=name, object_key=key, sha256=info.sha256,
                                      size=info.size, media_type="application/pdf")


def add_result(dossier_id: int, pdf: Path, services: Services, actor: str) -> list[SigningTask]:
    """Attach a result PDF to a filed dossier and open one signing task per signer step."""
    register = services.register
    dossier = register.get(dossier_id)
    if dossier is None:
        raise ResultError(f"no dossier {dossier_id}")
    if not dossier.procedure_id:
        raise ResultError(f"dossier {dossier_id} has no procedure yet: file it first (sohoa review)")
    procedure = current_catalog(services).get(dossier.procedure_id)
    if procedure is None or not procedure.signers:
        raise ResultError(f"procedure {dossier.procedure_id} lists no signers in the catalog")
    data = pdf.read_bytes()
    read_pdf(data)  # UnreadablePdf for empty, corrupt, encrypted files
    steps = plan_steps(procedure.signers, assignments(services))
    file = _store_pdf(dossier, data, "results", "result", pdf.name, services)
    with register.session() as session:
        tasks = [SigningTask(dossier_id=dossier_id, file_id=file.id, step=s.number, role=s.role,
                             assignee=",".join(s.assignees), state=StepState.waiting.value) for s in steps]
        session.add_all(tasks)
    register.add_event(dossier_id, actor, "result_added",
                       {"file": pdf.name, "sha256": file.sha256, "steps": [s.role for s in steps]})
    return tasks


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
    with services.register.session() as session:
        return Chain(list(session.scalars(select(SigningTask).where(SigningTask.file_id == task.file_id)
                                          .order_by(SigningTask.step))))


def task(task_id: int, services: Services) -> SigningTask:
    with services.register.session() as session:
        found = session.get(SigningTask, task_id)
    if found is None:
        raise ResultError(f"no signing task {task_id}: see `sohoa sign inbox`")
    return found


def inbox(services: Services, person: str | None = None) -> list[SigningTask]:
    """Tasks whose turn has come (every earlier step verified), for `person` when given."""
    with services.register.session() as session:
        waiting = list(session.scalars(select(SigningTask).where(SigningTask.state == StepState.waiting.value)
                                       .order_by(SigningTask.id)))
    chains = [(t, chain_of(t, services)) for t in waiting]
    return [t for t, chain in chains if may_sign(chain.steps, chain.states, t.step, person)]


def current_document(t: SigningTask, services: Services, work: Path) -> bytes:
    """The latest version of the result: after the previous step's signature, if any."""
    chain = chain_of(t, services)
    previous = [c for c in chain.tasks if c.step < t.step and c.signed_file_id]
    with services.register.session() as session:
        file = session.get_one(File, previous[-1].signed_file_id if previous else t.file_id)
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
            report = verify(signed.pdf, trust_roots=roots)
            outcomes.append(_record(t, dossier, signed.pdf, report.ok, report.to_dict(), person,
                                    session.identity.name, services, level=signed.level.value))
    return outcomes


def _record(t: SigningTask, dossier: Dossier, pdf: bytes, ok: bool, report: dict, person: str, signer: str,
            services: Services, *, level: str) -> SignOutcome:
    register = services.register
    if not ok:
        with register.session() as session:
            row = session.get_one(SigningTask, t.id)
            row.state, row.validation = StepState.refused.value, report
        register.add_event(dossier.id, person, "signature_refused", {"task": t.id, "problems": report["problems"]})
        return SignOutcome(t.id, False, "the signature did not verify: " + "; ".join(report["problems"]
                                                                                    or ["see sohoa verify"]))
    signed_file = _store_pdf(dossier, pdf, "signed", "signed_result", f"step-{t.step}.pdf", services)
    with register.session() as session:
        row = session.get_one(SigningTask, t.id)
        row.state, row.validation, row.signed_file_id = StepState.verified.value, report, signed_file.id
        row.signer_certificate, row.signed_at = signer, datetime.now(UTC)
    register.add_event(dossier.id, person, "signed", {"task": t.id, "step": t.step, "role": t.role,
                                                      "signer": signer})
    if is_complete(chain_of(t, services).states):
        register.update(dossier.id, legal_status=PROCESSED, finished_at=datetime.now(UTC),
                        event=("signing", "result_signed", {"file": signed_file.object_key}))
    return SignOutcome(t.id, True, f"step {t.step} ({t.role}) signed as PAdES {level} and verified")


def return_result(dossier_id: int, services: Services, actor: str) -> None:
    """Record that the signed result was handed back: status 10, "Đã trả kết quả"."""
    dossier = services.register.get(dossier_id)
    if dossier is None:
        raise ResultError(f"no dossier {dossier_id}")
    if dossier.legal_status != PROCESSED:
        raise ResultError(f"dossier {dossier_id} has no fully signed result yet (status {dossier.legal_status})")
    services.register.update(dossier_id, legal_status=RETURNED, returned_at=datetime.now(UTC),
                             event=(actor, "returned", None))


def receive_result(entry: Path, services: Services) -> int | None:
    """A result dropped as `results/<dossier code>.pdf` by another system: attach it, or quarantine it.

    Returns the dossier it was attached to; a file that cannot be attached goes to quarantine with
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
