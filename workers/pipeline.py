"""The pipeline as a recipe of named steps, each idempotent and keyed by (dossier, step).

A step marked done in the register is never run again, so a dossier picked up after a crash, a
retry or a second drop continues where it stopped. Whoever drives the recipe (the inline runner of
the embedded mode, or an rq worker) calls `run_pipeline` or `run_step`; the steps themselves never
know who called them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from storage.register import DIGITIZED, DIGITIZING, FAILED, NEEDS_REVIEW, RECEIVED
from workers.classify import awaits_review, classify_dossier
from workers.digitize import PageProgress, digitize
from workers.index import index
from workers.pool import PagePool
from workers.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """What a step needs besides the dossier: where pages run, and whom to tell of progress."""

    services: Services
    pages: PagePool
    progress: PageProgress | None = None


@dataclass(frozen=True)
class PipelineStep:
    name: str
    run: Callable[[int, Job], object]


STEPS: tuple[PipelineStep, ...] = (
    PipelineStep("ocr", lambda d, job: digitize(d, job.services, job.pages, job.progress)),
    PipelineStep("classify", lambda d, job: classify_dossier(d, job.services)),
    PipelineStep("index", lambda d, job: index(d, job.services)),
)
RESUMABLE = (RECEIVED, DIGITIZING)


class StepFailed(Exception):
    """A step raised: the dossier is marked failed with the error (unless it will be retried), for `sohoa retry`."""


def run_step(dossier_id: int, step: PipelineStep, job: Job, *, retries_left: int = 0) -> None:
    """Run one step unless it is already done; record its outcome either way.

    A failure with `retries_left` (rq will run the step again) leaves the dossier `digitizing`
    with a `retry_scheduled` event, in one update: whoever watches the register for `failed` (a
    runner's future, `sohoa retry --all-failed`) must never see a dossier that is still retried.
    """
    register = job.services.register
    done = register.step(dossier_id, step.name)
    if done is not None and done.state == "done":
        return
    register.start_step(dossier_id, step.name)
    started = time.perf_counter()
    try:
        step.run(dossier_id, job)
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        log.exception("dossier %s: step %s failed", dossier_id, step.name)
        register.fail_step(dossier_id, step.name, message)
        if retries_left > 0:
            register.update(dossier_id, state=DIGITIZING, event=("pipeline", "retry_scheduled", {
                "step": step.name, "error": message, "retries_left": retries_left}))
        else:
            register.update(dossier_id, state=FAILED,
                            event=("pipeline", "failed", {"step": step.name, "error": message}))
        raise StepFailed(message) from error
    register.finish_step(dossier_id, step.name, time.perf_counter() - started)


def run_pipeline(dossier_id: int, job: Job) -> str:
    """Every step not yet done, in order; returns the dossier's final pipeline state."""
    register = job.services.register
    register.update(dossier_id, state=DIGITIZING)
    try:
        for step in STEPS:
            run_step(dossier_id, step, job)
    except StepFailed:
        return FAILED
    return finish(dossier_id, job.services)


def finish(dossier_id: int, services: Services) -> str:
    """After the last step: `needs_review` when a person must file it, else `digitized`."""
    dossier = services.register.get(dossier_id)
    assert dossier is not None
    final = NEEDS_REVIEW if awaits_review(dossier, services.settings.review_threshold) else DIGITIZED
    services.register.update(dossier_id, state=final, event=("pipeline", "digitized", None))
    return final
