"""The classify step: file a digitized dossier under its procedure, or send it to a reviewer.

Classification sets what the one-stop system needs next: the procedure, its due date (working days
from the receipt, holidays skipped), the fields archivists search for, and each page's type. Below
the confidence threshold, or when nothing in the catalog fits, the dossier goes to `needs_review`
with its top-3 suggestions; a reviewer's answer (`file_by_reviewer`) is recorded with who and when
and becomes a training example for the next model.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from procedures.calendar import due_at
from procedures.classify import Classification, classify
from procedures.fields import extract_fields, mask
from procedures.training import TrainedModel, train
from storage.keys import MODEL_KEY
from storage.models import Dossier
from storage.objects import ObjectStore, sha256_file
from storage.vocabulary import Action, ProcedureSource
from workers.catalog import current_calendar, current_catalog
from workers.services import Services


def current_model(services: Services) -> TrainedModel | None:
    """The latest model trained from reviewers' corrections, if one was trained.

    Read from the object store once per version (its SHA-256), not once per dossier.
    """
    info = services.objects.stat(MODEL_KEY)
    return None if info is None else _model(services.objects, info.sha256)  # type: ignore[arg-type]


@lru_cache(maxsize=2)  # keyed by the store (hashed by identity: one per process) and the model's SHA-256
def _model(objects: ObjectStore, _sha256: str) -> TrainedModel:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.bin"
        objects.get(MODEL_KEY, path)
        return TrainedModel.from_bytes(path.read_bytes())


def _suggestions(result: Classification) -> list[dict[str, object]]:
    return [{"procedure": pid, "score": round(score, 3)} for pid, score in result.top3]


def awaits_review(dossier: Dossier, threshold: float) -> bool:
    """Whether a person must file the dossier: derived from what was stored, so a resumed run agrees."""
    if dossier.procedure_source == ProcedureSource.REVIEWER:
        return False
    return dossier.procedure_id is None or (dossier.procedure_confidence or 0.0) < threshold


def classify_dossier(dossier_id: int, services: Services) -> Classification:
    """Classify from the stored page texts; safe to run again (it overwrites its own outcome).

    The dossier's state is left to the end of the pipeline (`awaits_review` decides it there).
    """
    register = services.register
    dossier = register.get(dossier_id)
    assert dossier is not None
    pages = register.pages(dossier_id)
    texts = [p.text for p in pages]
    catalog = current_catalog(services.settings, scoped=True)
    result = classify(texts, catalog, current_model(services), threshold=services.settings.review_threshold)
    fields = extract_fields(texts)
    procedure = catalog.get(result.procedure) if result.procedure else None
    due = (due_at(dossier.received_at, procedure.days, current_calendar(services.settings))
           if procedure else None)
    register.classify(
        dossier_id, procedure_id=result.procedure, confidence=result.confidence,
        suggestions=_suggestions(result),
        fields={"applicant_name": fields.applicant_name, "personal_id": fields.personal_id,
                "dates": [d.isoformat() for d in fields.dates]},
        due_at=due, page_kinds=list(result.page_types),
        event=("classifier", Action.CLASSIFIED, {
            "procedure": result.procedure, "confidence": result.confidence, "needs_review": result.needs_review,
            "top3": _suggestions(result), "evidence": [e.to_dict() for e in result.evidence[:3]],
            "applicant": mask(fields.applicant_name), "personal_id": mask(fields.personal_id)}),
    )
    return result


@dataclass(frozen=True)
class Filed:
    dossier_id: int
    procedure: str
    due_at: datetime | None


def file_by_reviewer(dossier_id: int, procedure_id: str, reviewer: str, services: Services) -> Filed:
    """A reviewer's decision: the dossier is filed under `procedure_id`, recorded with who and when."""
    procedure = current_catalog(services.settings).get(procedure_id)
    if procedure is None:
        raise KeyError(procedure_id)
    dossier = services.register.get(dossier_id)
    if dossier is None:
        raise LookupError(dossier_id)
    due = due_at(dossier.received_at, procedure.days, current_calendar(services.settings))
    services.register.file_by_reviewer(dossier_id, procedure_id=procedure_id, due_at=due, reviewer=reviewer)
    return Filed(dossier_id, procedure_id, due)


def retrain(services: Services) -> int:
    """Train a new model from every reviewer-filed dossier; store it; return the example count."""
    register = services.register
    examples = [([p.text for p in register.pages(did)], pid) for did, pid in register.reviewer_filed()]
    if not examples:
        return 0
    model = train(examples, current_catalog(services.settings, scoped=True))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.bin"
        path.write_bytes(model.to_bytes())
        services.objects.put(MODEL_KEY, path, sha256_file(path), "application/octet-stream", overwrite=True)
    register.add_event(None, "trainer", Action.MODEL_TRAINED, {"examples": len(examples)})
    return len(examples)


def retrain_due(services: Services, now: datetime | None = None) -> bool:
    """Whether reviewers corrected anything since the last model, and that model is old enough."""
    hours = services.settings.retrain_hours
    if hours <= 0:
        return False
    register = services.register
    last = register.events(action=Action.MODEL_TRAINED, limit=1, newest_first=True)
    reviewed = register.events(action=Action.REVIEWED, limit=1, newest_first=True)
    if not reviewed:
        return False
    if not last:
        return True
    now = now or datetime.now(UTC)
    trained_at = last[0].at if last[0].at.tzinfo else last[0].at.replace(tzinfo=UTC)
    return reviewed[0].id > last[0].id and (now - trained_at).total_seconds() >= hours * 3600
