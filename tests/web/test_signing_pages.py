"""Ký số and Kết quả in Chromium: an official signs three results with the USB token on their own PC
(sohoa-agent in another process on a SoftHSM2 token, one PIN), the clerk seals them on the server,
the dossiers reach status 9 and `sohoa verify` passes; then the clerk records the hand-back.

Certomancer's animator answers TSA, OCSP and CRL (B-LT), as for `sohoa sign`.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from settings import Settings
from storage.accounts import Accounts, Role
from tests.agent.running import running_agent
from tests.conftest import BIRTH_FORM, save_scan
from tests.signing.conftest import pki, tokens  # noqa: F401  (fixtures shared with tests/signing)
from tests.signing.testpki import P12_PASSPHRASE, TOKEN_PIN, LivePki
from tests.web.conftest import AGENCY_A, AGENCY_B, PASSWORD, Site, served, signed_in
from workers.results import add_result, assign
from workers.services import Services

pytestmark = pytest.mark.slow

OFFICIAL, CLERK, OTHER = "chu.tich", "van.thu", "chu.tich.b"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CODES = [f"H39.01-260804-00{n}" for n in (3, 1, 2)]  # made in this order; due 3rd, 1st, 2nd


def make_result(services: Services, code: str, agency: str, due: datetime, folder: Path) -> int:
    """A filed birth-registration dossier with a result PDF waiting for the commune leader, then the clerk."""
    dossier = services.register.create_dossier(fingerprint=code.encode().hex().ljust(64, "0")[:64],
                                               source_name="ho-so.pdf", agency=agency, code=code, station=None,
                                               actor="test")
    services.register.update(dossier.id, procedure_id="1.001193", procedure_source="reviewer", state="digitized",
                             due_at=due)
    pdf = save_scan(folder / f"{code}.pdf", [BIRTH_FORM, [f"GIẤY KHAI SINH {code}"]], dpi=100)
    add_result(dossier.id, pdf, services, actor="test")
    return dossier.id


@pytest.fixture(scope="module")
def site(pki: LivePki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:  # noqa: F811
    """A commune with three results waiting for its leader, one of another commune, served on loopback."""
    home = tmp_path_factory.mktemp("signing-site") / "var"
    home.mkdir()
    passphrase = home.parent / "seal-passphrase"
    passphrase.write_bytes(P12_PASSPHRASE + b"\n")
    settings = Settings(home=home, tsa_url=pki.tsa_url, trust_roots=[pki.root_pem], seal_p12=pki.p12("seal"),
                        seal_passphrase_file=passphrase)
    services = Services(settings)
    accounts = Accounts(services.register)
    for name, role, agency in ((OFFICIAL, Role.OFFICIAL, AGENCY_A), (CLERK, Role.CLERK, AGENCY_A),
                               (OTHER, Role.OFFICIAL, AGENCY_B)):
        accounts.add_user(name, role, (agency,), PASSWORD, full_name=name)
    assign("lanh_dao_ubnd_xa", OFFICIAL, services, "test")
    assign("lanh_dao_ubnd_xa", OTHER, services, "test")
    assign("van_thu", CLERK, services, "test")
    soon = datetime(2026, 8, 10, 1, 0, tzinfo=UTC)
    site = Site(settings, services)
    for code, days in zip(CODES, (3, 1, 2), strict=True):
        site.dossiers[code] = make_result(services, code, AGENCY_A, soon + timedelta(days=days), home.parent)
    site.dossiers["B"] = make_result(services, "H39.02-260804-0001", AGENCY_B, soon, home.parent)
    with served(services) as site.url:
        yield site


def first_steps(site: Site) -> dict[str, int]:
    return {code: site.services.register.signing_tasks(site.dossiers[code])[0].id for code in [*CODES, "B"]}


def test_the_routes_refuse_what_is_not_yours(site: Site, pki: LivePki) -> None:  # noqa: F811
    tasks = first_steps(site)
    certificate = base64.b64encode(pki.cert("official").dump()).decode()
    body = {"tasks": [tasks[CODES[0]]], "certificate": certificate, "chain": []}
    clerk, clerk_csrf = signed_in(site, CLERK)
    early = clerk.post("/api/v1/signing/prepare", json=body, headers={"X-CSRF-Token": clerk_csrf})
    assert early.status_code == 409 and early.json()["code"] == "not_your_turn"  # the leader signs first
    assert "Chưa đến lượt" in early.json()["message_vi"]
    assert clerk.post("/api/v1/signing/prepare", json=body).status_code == 403  # no CSRF header
    other, other_csrf = signed_in(site, OTHER)
    foreign = other.post("/api/v1/signing/prepare", json=body, headers={"X-CSRF-Token": other_csrf})
    assert foreign.status_code == 404  # another commune's task, though the role is theirs too
    assert [t["task"] for t in other.get("/api/v1/signing/inbox").json()] == [tasks["B"]]
    sealed = clerk.post("/api/v1/signing/seal", json={"tasks": [tasks[CODES[0]] + 1]},
                        headers={"X-CSRF-Token": clerk_csrf})
    assert sealed.status_code == 409  # the clerk's step, before the leader signed
    official, _ = signed_in(site, OFFICIAL)
    assert official.get("/results").status_code == 403  # attaching results is the clerk's


def sign_in(page: Page, site: Site, name: str) -> None:
    page.goto(site.url + "/login")
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{site.url}/sign")


def sohoa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sohoa", *args], capture_output=True, text=True, timeout=300,
                          env=os.environ.copy())


def test_official_signs_three_with_one_pin_and_the_clerk_seals_them(site: Site, pki: LivePki,  # noqa: F811
                                                                     tokens: dict[str, str],  # noqa: F811
                                                                     tmp_path: Path) -> None:
    register = site.services.register
    with running_agent(tmp_path / "agent", site=site.url, env=tokens) as agent, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN",
                                      timezone_id="Asia/Ho_Chi_Minh")
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # CSP refusals too
        sign_in(page, site, OFFICIAL)
        rows = page.locator("table.inbox tbody tr")
        expect(rows).to_have_count(3)  # not the other commune's
        expect(rows.locator("td:nth-child(2)")).to_have_text(sorted(CODES))  # oldest due first
        expect(rows.first).to_contain_text("11/08/2026 08:00")  # due 01:00 UTC, shown in Vietnam's time
        page.get_by_label("Địa chỉ chương trình ký").fill(agent.url)
        page.get_by_label("Mã ghép nối").fill(agent.code or "")
        page.get_by_role("button", name="Ghép nối").click()
        expect(page.locator("#agent-status")).to_contain_text("2 chứng thư số")  # the official's and a seal
        official = [o for o in page.locator("#certificate option").all() if "(official)" in o.inner_text()]
        page.select_option("#certificate", official[0].get_attribute("value"))

        rows.first.get_by_role("button", name="Xem").click()
        expect(page.locator("#preview h2")).to_have_text(sorted(CODES)[0])
        page.wait_for_function("() => [...document.querySelectorAll('#preview img')].length === 2 && "
                               "[...document.querySelectorAll('#preview img')].every(i => i.naturalWidth > 1000)")

        page.get_by_label("Chọn tất cả").focus()
        page.keyboard.press("Space")  # the keyboard selects all three
        assert page.locator("input.pick:checked").count() == 3
        page.get_by_label("Chức danh trên dấu chữ ký").fill("KT. CHỦ TỊCH")
        agent.type_pin(TOKEN_PIN)  # one PIN, in the agent's own prompt, for the three
        page.get_by_role("button", name="Ký", exact=True).click()
        expect(page.locator("#batch-status")).to_have_text("Đã ký và kiểm tra 3/3 văn bản.", timeout=120_000)
        expect(rows.locator(".outcome")).to_have_text(["Đã ký và kiểm tra chữ ký (B-LT)"] * 3)
        assert all(b == 100 for b in page.eval_on_selector_all("progress", "bars => bars.map(b => b.value)"))
        page.locator("#agent-help").evaluate("d => d.open = true")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "sign.png"), full_page=True)
        assert sum("Đã ký" in line for line in agent.said()) == 1  # one batch on the token

        clerk = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh").new_page()
        sign_in(clerk, site, CLERK)
        expect(clerk.locator("table.inbox tbody tr")).to_have_count(3)
        clerk.get_by_label("Chọn tất cả").check()
        clerk.get_by_role("button", name="Đóng dấu").click()
        expect(clerk.locator("#batch-status")).to_have_text("Đã ký và kiểm tra 3/3 văn bản.", timeout=120_000)
        expect(clerk.locator(".outcome")).to_have_text(["Đã đóng dấu và kiểm tra chữ ký"] * 3)

        for code in CODES:
            dossier = register.get(site.dossiers[code])
            assert dossier is not None and dossier.legal_status == 9
            final = register.files(dossier.id, "signed_result")[-1]
            verdict = sohoa("verify", str(site.settings.objects / final.object_key), "--trust", str(pki.root_pem),
                            "--json")
            assert verdict.returncode == 0, verdict.stdout
            signers = [s["signer"] for s in json.loads(verdict.stdout)["signatures"] if s["kind"] == "signature"]
            assert signers == ["Nguyễn Văn An", pki.cert("seal").subject.native["common_name"]]

        clerk.get_by_role("link", name="Kết quả").click()
        expect(clerk.locator("table tbody tr")).to_have_count(3)
        clerk.get_by_role("button", name=f"Đã trả kết quả: {CODES[0]}").click()
        expect(clerk.get_by_role("status")).to_have_text(f"Đã ghi nhận: đã trả kết quả hồ sơ {CODES[0]}.")
        returned = register.get(site.dossiers[CODES[0]])
        assert returned is not None and returned.legal_status == 10 and returned.returned_at is not None
        browser.close()
    assert errors == []
    actions = [(r.action, r.actor) for r in register.events(site.dossiers[CODES[0]])]
    assert ("returned", f"web:{CLERK}") in actions
