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

from sqlalchemy import select

from procedures.calendar import WorkCalendar, due_at, load_calendar
from procedures.catalog import Catalog, load_catalog
from procedures.classify import Classification, classify
from procedures.fields import extract_fields, mask
from procedures.training import TrainedModel, train
from storage.models import Dossier
from storage.objects import ObjectStore, sha256_file
from storage.register import DIGITIZED, NEEDS_REVIEW
from workers.services import Services

MODEL_KEY = "models/classifier/current.bin"


def catalog_path(services: Services) -> Path | None:
    """The catalog in force: the setting, else a province's import in the home, else the shipped one."""
    settings = services.settings
    imported = settings.home / "catalog.yaml"
    return settings.catalog_file or (imported if imported.exists() else None)


def current_catalog(services: Services) -> Catalog:
    """The catalog in force, parsed and indexed once per version of its file, not once per dossier."""
    path = catalog_path(services)
    settings = services.settings
    return _catalog(path, path.stat().st_mtime_ns if path else 0, tuple(settings.catalog_levels),
                    tuple(settings.catalog_fields))


@lru_cache(maxsize=4)
def _catalog(path: Path | None, _version: int, levels: tuple[str, ...], fields: tuple[str, ...]) -> Catalog:
    return load_catalog(path).scoped(levels, fields)


def current_calendar(services: Services) -> WorkCalendar:
    path = services.settings.holidays_file
    return _calendar(path, path.stat().st_mtime_ns if path else 0)


@lru_cache(maxsize=4)
def _calendar(path: Path | None, _version: int) -> WorkCalendar:
    return load_calendar(path)


def current_model(services: Services) -> TrainedModel | None:
    """The latest model trained from reviewers' corrections, if one was trained.

    Read from the object store once per version (its SHA-256), not once per dossier.
    """
    info = services.objects.stat(MODEL_KEY)
    return None if info is None else _model(services.objects, info.sha256)


@lru_cache(maxsize=2)
def _model(objects: ObjectStore, _sha256: str) -> TrainedModel:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.bin"
        objects.get(MODEL_KEY, path)
        return TrainedModel.from_bytes(path.read_bytes())


def _suggestions(result: Classification) -> list[dict[str, object]]:
    return [{"procedure": pid, "score": round(score, 3)} for pid, score in result.top3]


def awaits_review(dossier: Dossier, threshold: float) -> bool:
    """Whether a person must file the dossier: derived from what was stored, so a resumed run agrees."""
    if dossier.procedure_source == "reviewer":
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
    catalog = current_catalog(services)
    result = classify(texts, catalog, current_model(services), threshold=services.settings.review_threshold)
    fields = extract_fields(texts)
    procedure = catalog.get(result.procedure) if result.procedure else None
    due = due_at(dossier.received_at, procedure.days, current_calendar(services)) if procedure else None
    with register.session() as session:
        for page, kind in zip(pages, result.page_types, strict=False):
            page.kind = kind
            session.merge(page)
    register.update(
        dossier_id,
        procedure_id=result.procedure,
        procedure_confidence=result.confidence,
        procedure_source="auto",
        suggestions=_suggestions(result),
        fields={"applicant_name": fields.applicant_name, "personal_id": fields.personal_id,
                "dates": [d.isoformat() for d in fields.dates]},
        due_at=due,
        event=("classifier", "classified", {
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
    catalog = current_catalog(services)
    procedure = catalog.get(procedure_id)
    if procedure is None:
        raise KeyError(procedure_id)
    dossier = services.register.get(dossier_id)
    if dossier is None:
        raise LookupError(dossier_id)
    due = due_at(dossier.received_at, procedure.days, current_calendar(services))
    previous = dossier.procedure_id
    services.register.update(
        dossier_id, procedure_id=procedure_id, procedure_confidence=1.0, procedure_source="reviewer",
        due_at=due, state=DIGITIZED if dossier.state == NEEDS_REVIEW else dossier.state,
        event=(reviewer, "reviewed", {"procedure": procedure_id, "was": previous,
                                      "at": datetime.now(UTC).isoformat()}))
    return Filed(dossier_id, procedure_id, due)


def retrain(services: Services) -> int:
    """Train a new model from every reviewer-filed dossier; store it; return the example count."""
    register = services.register
    with register.session() as session:
        labelled = list(session.execute(select(Dossier.id, Dossier.procedure_id)
                                        .where(Dossier.procedure_source == "reviewer")))
    examples = [([p.text for p in register.pages(did)], pid) for did, pid in labelled if pid]
    if not examples:
        return 0
    model = train(examples, current_catalog(services))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.bin"
        path.write_bytes(model.to_bytes())
        services.objects.put(MODEL_KEY, path, sha256_file(path), "application/octet-stream", overwrite=True)
    register.add_event(None, "trainer", "model_trained", {"examples": len(examples)})
    return len(examples)


def retrain_due(services: Services, now: datetime | None = None) -> bool:
    """Whether reviewers corrected anything since the last model, and that model is old enough."""
    hours = services.settings.retrain_hours
    if hours <= 0:
        return False
    register = services.register
    last = register.events(action="model_trained", limit=1, newest_first=True)
    reviewed = register.events(action="reviewed", limit=1, newest_first=True)
    if not reviewed:
        return False
    if not last:
        return True
    now = now or datetime.now(UTC)
    trained_at = last[0].at if last[0].at.tzinfo else last[0].at.replace(tzinfo=UTC)
    return reviewed[0].id > last[0].id and (now - trained_at).total_seconds() >= hours * 3600
