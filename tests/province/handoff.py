"""A sohoa home handing off to the stand-in province on loopback, with its file host."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from province.client import Credentials
from province.sim import Faults, ProvinceSim, SimConfig
from settings import Settings
from sohoa.filehost import FileHost
from tests.province.lifecycle import Lifecycle
from tests.servers import free_port
from workers.services import Services

CREDENTIALS = "username=sohoa-test\npassword=mật-khẩu-thử\nclient_id=sohoa\nclient_secret=s3cret\n"


@dataclass
class Handoff:
    settings: Settings
    services: Services
    sim: ProvinceSim
    files: FileHost
    life: Lifecycle
    env: dict[str, str]


def handoff_env(home: Path, sim_url: str, files_port: int) -> dict[str, str]:
    creds = home.parent / "province.credentials"
    creds.write_text(CREDENTIALS, encoding="utf-8")
    return {"SOHOA_HOME": str(home), "SOHOA_PROVINCE_URL": sim_url,
            "SOHOA_PROVINCE_CREDENTIALS_FILE": str(creds), "SOHOA_PROVINCE_MADONVI": "000.00.21.H39",
            "SOHOA_PROVINCE_TIMEOUT": "2", "SOHOA_PROVINCE_RETRY_INTERVALS": "[0, 0, 0]",
            "SOHOA_PROVINCE_MAX_BACKOFF": "0.5", "SOHOA_PROVINCE_LEASE_SECONDS": "3", "SOHOA_PROVINCE_POLL": "0.1",
            "SOHOA_PROVINCE_BATCH": "25", "SOHOA_WEB_PORT": str(files_port), "SOHOA_AGENCY": "000.00.21.H39"}


@pytest.fixture
def handoff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Handoff]:
    home = tmp_path / "var"
    home.mkdir()
    sim = ProvinceSim(SimConfig(db=tmp_path / "province.sqlite", credentials=Credentials.parse(CREDENTIALS),
                                madonvi="000.00.21.H39", faults=Faults(timeout_seconds=2.5)))
    sim.start()
    port = free_port()
    env = handoff_env(home, sim.url, port)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    services = Services(settings)
    files = FileHost(services, "127.0.0.1", port).start()
    try:
        yield Handoff(settings, services, sim, files, Lifecycle(services), env)
    finally:
        files.stop()
        sim.close()
