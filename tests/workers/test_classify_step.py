"""Digitized dossiers are filed under their procedure, or wait for a reviewer whose answer teaches."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from settings import Settings
from storage.register import DIGITIZING, NEEDS_REVIEW
from tests.conftest import SAMPLES
from workers.classify import classify_dossier, current_model, file_by_reviewer, retrain, retrain_due
from workers.pipeline import finish
from workers.services import Services

MANIFEST = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))


def dossier_from_truth(services: Services, sample: dict, received: datetime) -> int:
    """A dossier whose pages hold the sample's printed text, as a perfect OCR would give it."""
    register = services.register
    d = register.create_dossier(fingerprint=sample["sha256"], source_name=Path(sample["path"]).name,
                                agency="H00", code=None, station=None, actor="test")
    register.update(d.id, state=DIGITIZING, received_at=received)
    register.replace_pages(d.id, [{"number": p["n"], "text": (SAMPLES / p["truth"]).read_text(encoding="utf-8")}
                                  for p in sample["pages"]])
    return d.id


def sample(procedure: str | None, nth: int = 0) -> dict:
    return [d for d in MANIFEST["dossiers"] if d["procedure"] == procedure][nth]


def test_birth_registration_is_filed_with_due_date_and_fields(settings: Settings) -> None:
    services = Services(settings)
    received = datetime(2026, 2, 13, 16, 30, tzinfo=UTC)  # Friday 23:30 in Vietnam, just before Tết 2026
    dossier_id = dossier_from_truth(services, sample("1.004873"), received)  # 3 working days
    result = classify_dossier(dossier_id, services)
    dossier = services.register.get(dossier_id)
    assert dossier is not None
    assert result.procedure == dossier.procedure_id == "1.004873"
    assert dossier.procedure_source == "auto" and dossier.state == DIGITIZING
    assert dossier.due_at is not None and dossier.due_at.date() > datetime(2026, 2, 20).date()  # Tết skipped
    assert dossier.fields and dossier.fields["applicant_name"]
    kinds = [p.kind for p in services.register.pages(dossier_id)]
    assert "application_form" in kinds
    [event] = services.register.events(dossier_id, action="classified")
    assert dossier.fields["applicant_name"] not in json.dumps(event.detail, ensure_ascii=False)  # masked


def test_out_of_catalog_waits_for_review_then_a_reviewer_files_it(settings: Settings) -> None:
    services = Services(settings)
    dossier_id = dossier_from_truth(services, sample(None, 0), datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    result = classify_dossier(dossier_id, services)
    assert result.needs_review
    assert finish(dossier_id, services) == NEEDS_REVIEW  # the pipeline's end reads the stored outcome
    dossier = services.register.get(dossier_id)
    assert dossier is not None and dossier.state == NEEDS_REVIEW and dossier.suggestions is not None
    assert retrain_due(services) is False  # nothing corrected yet

    filed = file_by_reviewer(dossier_id, "1.000894", "reviewer:lan", services)
    dossier = services.register.get(dossier_id)
    assert dossier is not None
    assert (dossier.procedure_id, dossier.procedure_source, dossier.state) == ("1.000894", "reviewer", "digitized")
    assert filed.due_at is not None
    [event] = services.register.events(dossier_id, action="reviewed")
    assert event.actor == "reviewer:lan" and event.detail and event.detail["procedure"] == "1.000894"

    assert retrain_due(services) is True
    assert retrain(services) == 1
    model = current_model(services)
    assert model is not None and "1.000894" in model.classes
    assert retrain_due(services) is False
