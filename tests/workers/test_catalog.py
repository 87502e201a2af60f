"""The catalog is resolved in one place: a SOHOA_CATALOG_FILE that does not exist is said so, the
same way, by the commands and by the pipeline's classify step (which used to disagree)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from settings import Settings
from sohoa.cli.procedures import register
from storage.vocabulary import DossierState
from workers.catalog import CatalogUnavailable, current_catalog
from workers.classify import classify_dossier
from workers.services import Services


def test_a_missing_catalog_file_is_refused_by_list_and_by_the_classify_step(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "tinh" / "danh-muc.yaml"
    monkeypatch.setenv("SOHOA_CATALOG_FILE", str(missing))
    settings = Settings()
    app = typer.Typer()
    register(app)
    listed = CliRunner().invoke(app, ["procedures", "list"])
    assert listed.exit_code == 1
    assert f"SOHOA_CATALOG_FILE names {missing}, which does not exist" in listed.output
    assert "không tồn tại" in listed.output

    services = Services(settings)
    d = services.register.create_dossier(fingerprint="c" * 64, source_name="x.pdf", agency="H00", code=None,
                                         station=None, actor="test")
    services.register.update(d.id, state=DossierState.DIGITIZING)
    services.register.replace_pages(d.id, [{"number": 1, "text": "TỜ KHAI ĐĂNG KÝ KHAI SINH"}])
    with pytest.raises(CatalogUnavailable, match=f"SOHOA_CATALOG_FILE names {missing}, which does not exist"):
        classify_dossier(d.id, services)


def test_the_first_import_into_a_new_catalog_file_creates_it(settings: Settings, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "danh-muc.yaml"
    monkeypatch.setenv("SOHOA_CATALOG_FILE", str(target))
    export = tmp_path / "export.csv"
    export.write_text("Mã thủ tục,Tên thủ tục,Lĩnh vực,Thời hạn giải quyết\n"
                      "9.999001,Thủ tục thử nghiệm,Hộ tịch,03 ngày làm việc\n", encoding="utf-8")
    app = typer.Typer()
    register(app)
    imported = CliRunner().invoke(app, ["procedures", "import", str(export)])
    assert imported.exit_code == 0, imported.output
    catalog = current_catalog(Settings())
    assert catalog.get("9.999001") is not None and catalog.get("1.001193") is not None  # shipped ones kept
