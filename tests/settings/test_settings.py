"""The one settings object: defaults work on one machine, and the README documents every knob."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    missing = [f"SOHOA_{name.upper()}" for name in Settings.model_fields if f"`SOHOA_{name.upper()}`" not in readme]
    assert missing == []


def test_embedded_defaults_need_no_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"SOHOA_{name.upper()}", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.register_url == f"sqlite:///{tmp_path / 'var' / 'sohoa.db'}"
    assert settings.redis_url is None and settings.s3_endpoint is None
    assert settings.inbox == Path("var/inbox") and settings.jobs >= 1


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_POLL", "5")
    monkeypatch.setenv("SOHOA_S3_SECRET_KEY", "do-not-print-me")
    settings = Settings()
    assert settings.poll == 5.0
    assert "do-not-print-me" not in repr(settings)
