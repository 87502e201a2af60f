"""The one state machine of a dossier: what happens next, for every runner and every caller.

The pipeline is a recipe of named steps, `ocr`, `classify`, `index`, `finish`, each idempotent and
keyed by (dossier, step) in the register's step table. `advance` finds the first step not done and
runs it; the inline runner (embedded mode) calls it until nothing is left, an rq job calls it for
the steps of its queue. So "finished" has one definition, the `finish` row being done: a finished
dossier dropped again, retried by a sweeper or re-run by a dead worker's job is left as it is.

Every event a step writes is keyed by the step (`storage.register.step_events`): a step re-run
after a crash between its writes and its `finish_step` does not write its events twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from storage.register import step_events
from storage.vocabulary import Action, DossierState
from workers.classify import awaits_review, classify_dossier
from workers.digitize import PageProgress, digitize
from workers.disk import disk_full_reason, is_disk_full, wait_for_space
from workers.index import index
from workers.pool import PagePool
from workers.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What a step needs besides the dossier: services, where pages run, whom to tell of progress."""

    services: Services
    pages: PagePool
    progress: PageProgress | None = None
    stop: threading.Event = field(default_factory=threading.Event)  # set when the runner shuts down


@dataclass(frozen=True)
class PipelineStep:
    name: str
    queue: str  # the rq queue whose workers run it (a province puts OCR on its own machines)
    run: Callable[[int, Context], object]


def finish(dossier_id: int, services: Services) -> DossierState:
    """After the last step: `needs_review` when a person must file it, else `digitized`."""
    dossier = services.register.get(dossier_id)
    assert dossier is not None, f"dossier {dossier_id} vanished"
    final = (DossierState.NEEDS_REVIEW if awaits_review(dossier, services.settings.review_threshold)
             else DossierState.DIGITIZED)
    services.register.update(dossier_id, state=final, event=("pipeline", Action.DIGITIZED, None))
    return final


STEPS: tuple[PipelineStep, ...] = (
    PipelineStep("ocr", "ocr", lambda d, ctx: digitize(d, ctx.services, ctx.pages, ctx.progress)),
    PipelineStep("classify", "classify", lambda d, ctx: classify_dossier(d, ctx.services)),
    PipelineStep("index", "index", lambda d, ctx: index(d, ctx.services)),
    PipelineStep("finish", "index", lambda d, ctx: finish(d, ctx.services)),
)
QUEUES: tuple[str, ...] = tuple(dict.fromkeys(step.queue for step in STEPS))


class StepFailed(Exception):
    """A step raised: the dossier is marked failed with the error (unless it will be retried), for `sohoa retry`.

    `disk_full`: the disk had no room, so the dossier is not failed but waits for space (it is
    not the dossier's fault, and an admin freeing space must not also have to run `sohoa retry`).
    """

    def __init__(self, message: str, *, disk_full: bool = False) -> None:
        super().__init__(message)
        self.disk_full = disk_full


@dataclass(frozen=True)
class Outcome:
    """Where a dossier stands after `advance`: its state, the step just run, the step due next."""

    state: DossierState | None  # None: no such dossier
    ran: str | None
    next: PipelineStep | None

    @property
    def finished(self) -> bool:
        return self.next is None


def pending_step(dossier_id: int, services: Services) -> PipelineStep | None:
    """The first step of the recipe not yet done for this dossier; None once it has finished."""
    done = services.register.done_steps(dossier_id)
    return next((step for step in STEPS if step.name not in done), None)


def advance(dossier_id: int, ctx: Context, *, retries_left: int = 0) -> Outcome:
    """Run the dossier's next step, if any, and say what is due after it.

    A failure with `retries_left` (rq will run the step again) leaves the dossier `digitizing`
    with a `retry_scheduled` event, in one transaction: whoever watches the register for `failed`
    (a runner's future, `sohoa retry --all-failed`) must never see a dossier that is still retried.
    """
    register = ctx.services.register
    dossier = register.get(dossier_id)
    if dossier is None:
        return Outcome(None, None, None)
    step = pending_step(dossier_id, ctx.services)
    if step is None:
        return Outcome(DossierState(dossier.state), None, None)
    register.start_step(dossier_id, step.name,
                        state=DossierState.DIGITIZING if step.name != "finish" else None)
    started = time.perf_counter()
    try:
        with step_events(dossier_id, step.name):
            step.run(dossier_id, ctx)
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        # Libraries report a full disk in their own words ("tiff codec initialization failed"):
        # the disk's state at the moment of failure says it as well as the error's errno does.
        full = disk_full_reason(ctx.services) if not is_disk_full(error) else "the disk is full"
        if full:
            log.warning("dossier %s: step %s stopped, %s; it goes on when there is room", dossier_id, step.name,
                        full)
            register.fail_step(dossier_id, step.name, message, state=DossierState.DIGITIZING, event=(
                "pipeline", Action.RETRY_SCHEDULED, {"step": step.name, "error": message, "waiting_for": "disk space"}))
        elif retries_left > 0:
            log.exception("dossier %s: step %s failed", dossier_id, step.name)
            register.fail_step(dossier_id, step.name, message, state=DossierState.DIGITIZING, event=(
                "pipeline", Action.RETRY_SCHEDULED, {"step": step.name, "error": message,
                                                     "retries_left": retries_left}))
        else:
            log.exception("dossier %s: step %s failed", dossier_id, step.name)
            register.fail_step(dossier_id, step.name, message, state=DossierState.FAILED,
                               event=("pipeline", Action.FAILED, {"step": step.name, "error": message}))
        raise StepFailed(message, disk_full=bool(full)) from error
    register.finish_step(dossier_id, step.name, time.perf_counter() - started)
    after = register.get(dossier_id)
    return Outcome(DossierState(after.state) if after else None, step.name, pending_step(dossier_id, ctx.services))


def run_to_end(dossier_id: int, ctx: Context) -> DossierState | None:
    """Advance the dossier until it has finished or failed; its state then (the inline runner).

    A step a full disk stopped is run again once there is room; if the runner shuts down first,
    the dossier stays `digitizing` and the next start resumes it.
    """
    while True:
        try:
            outcome = advance(dossier_id, ctx)
        except StepFailed as failed:
            if failed.disk_full and wait_for_space(ctx.services, ctx.stop):
                continue
            return DossierState.DIGITIZING if failed.disk_full else DossierState.FAILED
        if outcome.finished:
            return outcome.state
