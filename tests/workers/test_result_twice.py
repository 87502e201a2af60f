"""The same result PDF given twice: by `sohoa result add` and through the results folder.

It was an IntegrityError traceback, and in the folder a retry every half second, forever.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from settings import Settings
from storage.vocabulary import Action, DossierState, FileRole
from tests.conftest import BIRTH_FORM, save_scan
from workers.results import add_result, receive_result
from workers.services import Services

CODE = "H57.132-260804-0583"


def filed(services: Services) -> int:
    register = services.register
    dossier = register.create_dossier(fingerprint="f" * 64, source_name="ho-so.pdf", agency="H00",
                                      code=CODE, station=None, actor="test")
    register.update(dossier.id, procedure_id="1.001193", procedure_source="reviewer", state=DossierState.DIGITIZED)
    register.assign_role("lanh_dao_ubnd_xa", "chu-tich", actor="test")
    register.assign_role("van_thu", "van-thu", actor="test")
    return dossier.id


def test_sohoa_result_add_twice_says_it_was_attached_and_opens_nothing_new(settings: Settings,
                                                                          tmp_path: Path) -> None:
    services = Services(settings)
    dossier_id = filed(services)
    pdf = save_scan(tmp_path / "ket-qua.pdf", [BIRTH_FORM], dpi=72)
    run = [sys.executable, "-m", "sohoa", "result", "add", CODE, str(pdf)]
    first = subprocess.run([*run, "--json"], capture_output=True, text=True, timeout=120, env=os.environ.copy())
    again = subprocess.run(run, capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert first.returncode == 0, first.stderr
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr and "already attached" in again.stdout
    tasks = [json.loads(line) for line in first.stdout.splitlines()]
    assert [t["new"] for t in tasks] == [True, True]
    assert all(f"task {t['task']}" in again.stdout for t in tasks)
    assert len(services.register.files(dossier_id, FileRole.RESULT)) == 1
    assert services.register.count_events(Action.RESULT_ADDED) == 1


def test_the_results_folder_takes_the_same_pdf_twice_without_looping(settings: Settings, tmp_path: Path) -> None:
    services = Services(settings)
    dossier_id = filed(services)
    settings.results_inbox.mkdir(parents=True)
    pdf = save_scan(tmp_path / "ket-qua.pdf", [BIRTH_FORM], dpi=72)
    for _drop in range(2):
        entry = settings.results_inbox / f"{CODE}.pdf"
        shutil.copy(pdf, entry)
        assert receive_result(entry, services) == dossier_id
        assert not entry.exists()  # it left the folder: nothing to retry
    assert not list(settings.quarantine.glob("*")) if settings.quarantine.exists() else True
    assert len(list((settings.done / "results").iterdir())) == 2
    assert len(services.register.files(dossier_id, FileRole.RESULT)) == 1
    again = add_result(dossier_id, pdf, services, "test")
    assert not again.new and len(again.tasks) == 2
