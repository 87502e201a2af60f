"""A small centre for the web tests: two communes, real scans OCRed by the real pipeline, people
of every role, and the app served by uvicorn on loopback for the browser tests."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from settings import Settings
from storage.accounts import Accounts, Role
from storage.register import NEEDS_REVIEW
from tests.conftest import BIRTH_FORM, MARRIAGE_FORM, save_scan
from tests.servers import free_port, wait_for_port
from web.app import create_app
from workers.index import index
from workers.inline import InlineRunner
from workers.receive import receive
from workers.services import Services

AGENCY_A, AGENCY_B = "H39.01", "H39.02"
PASSWORD = "mat-khau-rat-dai-2026"
CODE_A, CODE_B, CODE_REVIEW = "H39.01-260105-0001", "H39.02-260105-0001", "H39.01-260106-0002"
PEOPLE = {  # name: (role, agencies)
    "luu.tru": (Role.ARCHIVIST, (AGENCY_A,)),
    "luu.tru.b": (Role.ARCHIVIST, (AGENCY_B,)),
    "phan.loai": (Role.REVIEWER, (AGENCY_A,)),
    "can.bo": (Role.OFFICIAL, (AGENCY_A,)),
    "quan.tri": (Role.ADMIN, ()),
}
# A CT01 that states no request: the three residence procedures share the form and tie, so a
# person must file it (its reason mentions a marriage, so a search for "ket hon" finds it too).
AMBIGUOUS = ["TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ", "Kính gửi: Công an xã Bình Thạnh",
             "Họ, chữ đệm và tên: LÊ THỊ HOA", "Lý do: về ở cùng chồng sau khi kết hôn"]


@dataclass
class Site:
    settings: Settings
    services: Services
    dossiers: dict[str, int] = field(default_factory=dict)  # by code
    url: str = ""

    def services_for(self, agency: str) -> Services:
        other = Services(self.settings.model_copy(update={"agency": agency}))
        other.__dict__["register"], other.__dict__["objects"] = self.services.register, self.services.objects
        return other


def build_site(home: Path) -> Site:
    # The calibrated classifier is sure of the two plain forms and one in three of the CT01 trio:
    # a threshold of 0.8 sends only the CT01 to review.
    settings = Settings(home=home, settle_seconds=0.1, ocr_jobs=2, retrain_hours=0, review_threshold=0.8)
    services = Services(settings)
    site = Site(settings, services)
    scans = home.parent / "scans"
    inputs = [(CODE_A, MARRIAGE_FORM, AGENCY_A), (CODE_B, BIRTH_FORM, AGENCY_B), (CODE_REVIEW, AMBIGUOUS, AGENCY_A)]
    runner = InlineRunner(services, 2)
    try:
        futures = []
        for code, lines, agency in inputs:
            path = save_scan(scans / f"{code}.pdf", [lines])
            received = receive(path, site.services_for(agency), actor="test", remove_source=False)
            assert received.dossier_id is not None, received.reason
            site.dossiers[code] = received.dossier_id
            futures.append(runner.submit(received.dossier_id))
        for future in futures:
            future.result()
    finally:
        runner.close()
    register = services.register
    review = register.get(site.dossiers[CODE_REVIEW])
    assert review is not None and review.state == NEEDS_REVIEW and len(review.suggestions or []) == 3
    accounts = Accounts(register)
    for name, (role, agencies) in PEOPLE.items():
        accounts.add_user(name, role, agencies, PASSWORD, full_name=name.replace(".", " ").title())
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_site(tmp_path_factory.mktemp("site") / "var")


@contextlib.contextmanager
def served(services: Services) -> Iterator[str]:
    """The app on a loopback port, as `sohoa web` serves it; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services=services), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def live(site: Site) -> Iterator[Site]:
    with served(site.services) as site.url:
        yield site


def client(site: Site) -> TestClient:
    return TestClient(create_app(services=site.services), follow_redirects=False)


def signed_in(site: Site, name: str) -> tuple[TestClient, str]:
    """A client with a session of `name`, and its CSRF token (read from a page's form)."""
    c = client(site)
    page = c.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    answer = c.post("/login", data={"username": name, "password": PASSWORD, "csrf": csrf, "next": "/"})
    assert answer.status_code == 303, answer.text
    home = c.get("/", follow_redirects=True)  # every signed-in page carries the session's CSRF token
    return c, home.text.split('<meta name="csrf-token" content="')[1].split('"')[0]


def reindex(site: Site, dossier_id: int) -> None:
    index(dossier_id, site.services)
