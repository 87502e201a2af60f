"""The station API: uploads follow the inbox's rules (201 new, 200 known, 422 refused), reads are scoped,
and the API keeps to its own OpenAPI schema under fuzzing (schemathesis)."""

from __future__ import annotations

import io

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from PIL import Image
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from storage.accounts import Accounts
from tests.conftest import MARRIAGE_FORM, render_page
from tests.web.conftest import AGENCY_A, AGENCY_B, CODE_A, Site, client, signed_in
from web.app import create_app

pytestmark = pytest.mark.slow  # the site is OCRed once per module
# Refusing a schema-valid upload (random bytes are no scan) is the API's job: no acceptance check.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def png(lines: list[str]) -> bytes:
    out = io.BytesIO()
    render_page(lines, dpi=100).save(out, "PNG", dpi=(100, 100))
    return out.getvalue()


@pytest.fixture(scope="module")
def station(site: Site) -> tuple[TestClient, list[int]]:
    """A client holding a station token of commune B, and the dossiers handed to the pipeline."""
    submitted: list[int] = []
    _, token = Accounts(site.services.register).add_token("tram-b", AGENCY_B)
    c = TestClient(create_app(services=site.services, submit=submitted.append), follow_redirects=False)
    c.headers["Authorization"] = f"Bearer {token}"
    return c, submitted


def test_upload_new_known_and_refused(site: Site, station: tuple[TestClient, list[int]]) -> None:
    c, submitted = station
    scan = png(MARRIAGE_FORM)
    new = c.post("/api/v1/dossiers", files={"files": ("trang.png", scan, "image/png")},
                 data={"code": "H39.02-260301-0042"})
    assert new.status_code == 201, new.text
    body = new.json()
    assert body["new"] and body["dossier"]["code"] == "H39.02-260301-0042"
    assert body["dossier"]["agency"] == AGENCY_B and body["dossier"]["state"] == "received"
    assert submitted == [body["dossier_id"]]  # handed to the pipeline at once
    again = c.post("/api/v1/dossiers", files={"files": ("ten-khac.png", scan, "image/png")})
    assert again.status_code == 200 and again.json()["dossier_id"] == body["dossier_id"] and not again.json()["new"]
    refused = c.post("/api/v1/dossiers", files={"files": ("hong.pdf", b"%PDF-1.7\n1 0 obj <<", "application/pdf")})
    assert refused.status_code == 422
    assert refused.json()["code"] == "refused" and "damaged" in refused.json()["message"]
    assert "hỏng" in refused.json()["message_vi"]
    assert any(p.name == "hong.pdf" for p in site.settings.quarantine.iterdir())  # as from the inbox
    pages = c.post("/api/v1/dossiers", files=[("files", ("1.png", png(["TRANG MỘT"]), "image/png")),
                                              ("files", ("2.png", png(["TRANG HAI"]), "image/png"))])
    assert pages.status_code == 201 and pages.json()["dossier"]["page_count"] == 2
    mine = c.get(f"/api/v1/dossiers/{body['dossier_id']}")
    assert mine.status_code == 200 and mine.json()["code"] == "H39.02-260301-0042"
    assert c.get(f"/api/v1/dossiers/{site.dossiers[CODE_A]}").status_code == 404  # commune A's


def test_uploads_are_capped(site: Site) -> None:
    small = site.settings.model_copy(update={"max_file_mb": 1})
    services = type(site.services)(small)
    services.__dict__["register"], services.__dict__["objects"] = site.services.register, site.services.objects
    _, token = Accounts(site.services.register).add_token("tram-nho", AGENCY_A)
    c = TestClient(create_app(services=services), headers={"Authorization": f"Bearer {token}"})
    big = Image.effect_noise((1400, 1400), 64).convert("RGB")
    out = io.BytesIO()
    big.save(out, "PNG")
    assert len(out.getvalue()) > 2**20
    answer = c.post("/api/v1/dossiers", files={"files": ("to.png", out.getvalue(), "image/png")})
    assert answer.status_code == 413 and answer.json()["code"] == "too_large"


def test_tokens_that_no_longer_work(site: Site) -> None:
    accounts = Accounts(site.services.register)
    token_id, token = accounts.add_token("tram-cu", AGENCY_A)
    accounts.revoke_token(token_id)
    c = client(site)
    for header in (f"Bearer {token}", "Bearer sohoa_invented", "Basic eA=="):
        answer = c.post("/api/v1/dossiers", headers={"Authorization": header},
                        files={"files": ("a.png", png(["A"]), "image/png")})
        assert answer.status_code == 401 and answer.json()["message_vi"], header


def test_a_session_reads_through_the_api_within_its_agency(site: Site) -> None:
    archivist, csrf = signed_in(site, "luu.tru")
    hits = archivist.get("/api/v1/search", params={"q": "ket hon"}).json()
    assert site.dossiers[CODE_A] in [h["dossier_id"] for h in hits]
    assert archivist.get("/api/v1/dossiers", params={"code": CODE_A}).json()["id"] == site.dossiers[CODE_A]
    upload = archivist.post("/api/v1/dossiers", headers={"X-CSRF-Token": csrf},
                            files={"files": ("a.png", png(["A"]), "image/png")})
    assert upload.status_code == 403  # uploading is a station's


@pytest.fixture(scope="module")
def fuzz_headers(site: Site) -> dict[str, dict[str, str]]:
    _, token = Accounts(site.services.register).add_token("tram-fuzz", AGENCY_A)
    admin, csrf = signed_in(site, "quan.tri")
    cookie = "; ".join(f"{k}={v}" for k, v in admin.cookies.items())
    return {"station": {"Authorization": f"Bearer {token}"}, "admin": {"Cookie": cookie, "X-CSRF-Token": csrf}}


def test_the_api_keeps_to_its_own_schema(site: Site, fuzz_headers: dict[str, dict[str, str]]) -> None:
    """Schemathesis over every operation, as a station and as a signed-in admin: no 500s, and
    status codes, content types and bodies as the OpenAPI schema documents them."""
    api_schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(services=site.services))
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {o.method.upper() + " " + o.path for o in operations} == {
        "POST /api/v1/dossiers", "GET /api/v1/dossiers/{dossier_id}", "GET /api/v1/dossiers", "GET /api/v1/search",
        "GET /api/v1/signing/inbox", "POST /api/v1/signing/prepare", "POST /api/v1/signing/finish",
        "POST /api/v1/signing/seal"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            for headers in fuzz_headers.values():
                case.call_and_validate(headers=headers, checks=CHECKS)

        check()
