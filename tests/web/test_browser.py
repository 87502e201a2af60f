"""Each role's main flow in a real browser (Debian's Chromium through Playwright), as people use it.

The screenshots these tests take are the README's (docs/screenshots/).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from storage.audit import Audit
from tests.web.conftest import CODE_A, CODE_B, CODE_REVIEW, PASSWORD, Site
from workers.receive import receive

pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # CSP refusals included
    try:
        yield page
    finally:
        context.close()
    assert errors == []


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, site: Site, name: str) -> None:
    page.goto(site.url + "/")
    expect(page).to_have_url(f"{site.url}/login?next=/")
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def last_audit(site: Site, n: int) -> list[dict]:
    return list(Audit(site.services.register).rows())[-n:]


def test_archivist_finds_a_marriage_without_diacritics_and_reads_its_page(live: Site, page: Page) -> None:
    sign_in(page, live, "luu.tru")
    expect(page).to_have_url(f"{live.url}/search")
    shot(page, "login-then-search")
    box = page.get_by_label("Từ cần tìm")
    box.fill("ket hon")
    box.press("Enter")
    results = page.locator("ol.results li")
    expect(results).to_have_count(2)  # both of this commune's; the other commune's are never shown
    marriage = results.filter(has_text=CODE_A)
    expect(marriage.locator("mark")).to_have_text(["KẾT", "HÔN"])  # typed without marks, found with them
    expect(results.filter(has_text=CODE_REVIEW)).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text(CODE_B)
    shot(page, "search")
    marriage.get_by_role("link", name=CODE_A).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {CODE_A}")
    expect(page.locator("dl.facts")).to_contain_text("Đăng ký kết hôn")
    thumb = page.get_by_role("img", name="Trang 1")
    expect(thumb).to_be_visible()
    page.wait_for_function("() => document.querySelector('.thumbs img').naturalWidth >= 200")  # drawn from the scan
    shot(page, "dossier")
    page.get_by_role("link", name="Trang 1").click()
    image = page.get_by_role("img", name="Ảnh quét trang 1")
    expect(image).to_be_visible()
    page.wait_for_function("() => document.querySelector('.pageview img').naturalWidth > 1000")
    expect(page.locator("pre.ocrtext")).to_contain_text("TỜ KHAI ĐĂNG KÝ KẾT HÔN")
    shot(page, "page")
    rows = last_audit(live, 6)
    a, review = live.dossiers[CODE_A], live.dossiers[CODE_REVIEW]
    assert [r["action"] for r in rows] == ["login", "search", "view", "page_image", "ocr_text", "page_image"]
    assert {r["actor"] for r in rows} == {"luu.tru"} and rows[1]["detail"]["query"] == "ket hon"
    assert sorted(rows[1]["dossiers"]) == sorted([a, review])  # the ids the search showed
    assert all(r["dossiers"] == [a] and r["purpose"] == "1.000894" for r in rows[2:])  # the procedure


def test_reviewer_files_the_unsure_dossier_with_key_2(live: Site, page: Page) -> None:
    register = live.services.register
    dossier_id = live.dossiers[CODE_REVIEW]
    second = (register.get(dossier_id).suggestions or [])[1]["procedure"]
    sign_in(page, live, "phan.loai")
    expect(page).to_have_url(f"{live.url}/review")
    expect(page.locator(".review h2")).to_have_text(CODE_REVIEW)
    expect(page.locator("button.choice")).to_have_count(3)
    expect(page.locator("button.choice .score")).to_have_text(["33%", "33%", "33%"])  # the trio ties: a third each
    expect(page.locator("h1 .badge")).to_have_text("1")  # one dossier waits
    page.wait_for_function("() => document.querySelector('.review img').naturalWidth > 0")
    shot(page, "review")
    page.keyboard.press("2")
    expect(page.get_by_role("status")).to_have_text(f"Đã phân loại: {CODE_REVIEW}")
    expect(page.get_by_text("Không có hồ sơ nào chờ phân loại.")).to_be_visible()
    filed = register.get(dossier_id)
    assert (filed.procedure_id, filed.procedure_source, filed.state) == (second, "reviewer", "digitized")
    assert filed.due_at is not None
    assert register.events(dossier_id, action="reviewed")[-1].actor == "web:phan.loai"


def test_admin_sees_a_quarantined_file_and_releases_it(live: Site, page: Page) -> None:
    settings = live.settings
    settings.inbox.mkdir(parents=True, exist_ok=True)
    broken = settings.inbox / "ho-so-hong.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n")  # cut off mid-file
    assert receive(broken, live.services, actor="watcher").quarantined_to is not None
    sign_in(page, live, "quan.tri")
    expect(page).to_have_url(f"{live.url}/admin")
    row = page.locator("table.quarantine tr", has_text="ho-so-hong.pdf")
    expect(row).to_contain_text("hỏng")  # the Vietnamese half of the reason
    with page.expect_response(lambda r: r.url.endswith("/admin/counts") and r.ok, timeout=15_000):
        pass  # HTMX polls the live counts without a reload
    shot(page, "admin")
    row.get_by_role("button", name="Trả lại thư mục nhận").click()
    expect(page.get_by_text("Không có tệp nào bị từ chối.")).to_be_visible()
    assert (settings.inbox / "ho-so-hong.pdf").exists()
    assert not any(settings.quarantine.iterdir())
    assert last_audit(live, 1)[0]["action"] == "quarantine_release"


def test_kiosk_shows_the_status_by_code_and_nothing_personal(live: Site, page: Page) -> None:
    page.goto(live.url + "/kiosk")
    box = page.get_by_label("Quét mã trên giấy tiếp nhận hồ sơ, hoặc gõ mã")
    expect(box).to_be_focused()  # a barcode scanner types into it at once
    box.fill(CODE_B)
    box.press("Enter")
    facts = page.get_by_role("status")
    expect(facts).to_contain_text(CODE_B)
    expect(facts).to_contain_text("Được tiếp nhận")
    expect(facts).to_contain_text("chưa có")
    body = page.locator("body").inner_text()
    assert "NGUYỄN THỊ ĐOAN TRANG" not in body and "Long An" not in body
    shot(page, "kiosk")
    box = page.get_by_label("Quét mã trên giấy tiếp nhận hồ sơ, hoặc gõ mã")
    box.fill("H39.01-000000-9999")
    box.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Không có hồ sơ mang mã H39.01-000000-9999")
