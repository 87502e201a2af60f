"""A person's signing inbox, scoped to their agencies, and the clerk's seal on a batch of results.

`workers.results.inbox` answers the CLI (every agency, in task order); the web needs the same
rule (a task is ready when every earlier step is signed and verified, `signing.may_sign`) with the
dossier beside each task, oldest due first, within the agencies the person works for, and the
version of the result that the next signature goes on (what the page previews). The seal is the
agency's own key held by the server (`SOHOA_SEAL_P12`), applied through `sign_tasks` exactly as
`sohoa sign --p12` applies it: verified before it counts, in the chain's order.
"""

from __future__ import annotations

from dataclasses import dataclass

from signing import may_sign
from storage.models import Dossier, File, SigningTask
from storage.queries import Queries, Scope
from workers.results import Chain, SignOutcome, check_ready, sign_tasks
from workers.seal import seal_session
from workers.services import Services


@dataclass(frozen=True)
class InboxItem:
    """A task whose turn has come, its dossier, and the file the next signature goes on."""

    task: SigningTask
    dossier: Dossier
    document_id: int
    last_step: bool


def document_of(task: SigningTask, chain: list[SigningTask]) -> int:
    """The id of the result's current version: the previous step's signed file, else the result itself."""
    previous = [c.signed_file_id for c in chain if c.step < task.step and c.signed_file_id]
    return previous[-1] if previous else task.file_id


def ready_for(person: str, scope: Scope, services: Services) -> list[InboxItem]:
    """The tasks whose turn has come for `person` within `scope`, oldest due first."""
    items = []
    for task, dossier, tasks in Queries(services.register).signing_candidates(person, scope):
        chain = Chain(tasks)
        if may_sign(chain.steps, chain.states, task.step, person):
            items.append(InboxItem(task, dossier, document_of(task, tasks), task.step == len(tasks)))
    return items


def current_file(task: SigningTask, services: Services) -> File:
    """The stored version of the result that `task`'s signature goes on (for the preview)."""
    return services.register.file(document_of(task, services.register.tasks_of_file(task.file_id)))


def seal_tasks(person: str, task_ids: list[int], services: Services) -> list[SignOutcome]:
    """Apply the agency seal (the server's PKCS#12) to each task, as `sohoa sign --p12` does.

    Raises `StepNotReady` before the key is opened if one task is not `person`'s turn, and
    `SealNotConfigured` when no seal key is set.
    """
    check_ready(task_ids, person, services)
    with seal_session(services.settings, "sealing results on the server") as session:
        return sign_tasks(task_ids, session, person, services)

