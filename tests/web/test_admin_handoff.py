"""The admin page's hand-off and reports: a dead letter sent again, Biểu 06 for a period read in a
real browser and checked against dossiers registered by hand, the doors closed to others.

The report's dossiers are put in the register through its own writes (tests/province/lifecycle.py,
as tests/workers/test_reports.py does), in March 2026 and under an agency of their own, so the
site's OCRed dossiers (received today) do not count.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from storage.audit import Audit
from storage.outbox import OutboxState
from tests.province.lifecycle import Lifecycle, at
from tests.web.conftest import Site, signed_in
from tests.web.test_browser import browser, page, shot, sign_in

__all__ = ["browser", "page"]
pytestmark = pytest.mark.slow
AGENCY = "000.00.30.H39"
HO_TICH, CHUNG_THUC = "1.001193", "2.000815"
REFUSAL = "Mã đơn vị 000.00.30.H39 không có trong danh mục của tỉnh (error_code 13)"



@pytest.fixture(scope="module")
def march(site: Site) -> dict[str, int]:
    """Four dossiers of March 2026 and one dead letter (the province refused the first one for good)."""
    life = Lifecycle(site.services, agency=AGENCY)

    made = {"early": life.through(1, HO_TICH, 2, "03-02", at("03-05", 17), at("03-04", 10)),  # online, early
            "on_time": life.through(2, HO_TICH, 1, "03-02", at("03-05", 17), at("03-05", 16)),  # counter, the due day
            "late": life.through(3, CHUNG_THUC, 3, "03-03", at("03-04", 17), at("03-06", 10), digitized=False),  # post
            "open": life.through(4, HO_TICH, 2, "03-30", at("04-03", 17))}  # still in progress, within time
    register = site.services.register
    claimed = register.claim_outbox(limit=1000, worker="test", lease_seconds=60)
    refused = [c.id for c in claimed if c.dossier_id == made["early"]]
    assert len(refused) == 1
    assert register.outbox_refused(refused[0], worker="test", error=REFUSAL, retry_in=None) == OutboxState.dead
    register.outbox_release([c.id for c in claimed if c.id != refused[0]], worker="test", delay=0,
                            error="released by the test")
    return made


def test_only_an_admin_with_the_form_token_sends_dead_letters_again(site: Site, march: dict[str, int]) -> None:
    archivist, csrf = signed_in(site, "luu.tru")
    for path in ("/admin/reports", "/admin/reports/download?fmt=csv"):
        assert archivist.get(path).status_code == 403, path
    assert archivist.post("/admin/sync/retry", data={"csrf": csrf}).status_code == 403
    admin, csrf = signed_in(site, "quan.tri")
    assert admin.post("/admin/sync/retry", data={"dossier_id": march["early"]}).status_code == 403
    assert admin.post("/admin/sync/retry", data={"csrf": "x" + csrf}).status_code == 403
    assert site.services.register.outbox_counts()["dead"] == 1  # nothing was put back
    not_a_day = admin.get("/admin/reports?from=31/02/2026")
    assert not_a_day.status_code == 422 and "Ngày không hợp lệ" in not_a_day.text
    bad = admin.get("/admin/reports?from=2026-03-31&to=2026-03-01")
    assert bad.status_code == 422 and "Ngày kết thúc trước ngày bắt đầu." in bad.text


def test_admin_sees_the_dead_letter_and_sends_it_again(live: Site, march: dict[str, int], page: Page) -> None:
    sign_in(page, live, "quan.tri")
    expect(page).to_have_url(f"{live.url}/admin")
    handoff = page.locator("table.outbox")
    expect(handoff.locator("th").nth(5)).to_have_text("Bị từ chối")
    expect(handoff.locator("td").nth(5)).to_have_text("1")
    row = page.locator("table.dead tr", has_text=f"{AGENCY}-260312-0001")
    expect(row).to_contain_text(REFUSAL)
    page.locator("#handoff").scroll_into_view_if_needed()
    shot(page, "admin-handoff")
    button = row.get_by_role("button", name="Gửi lại")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Không có thông điệp nào bị từ chối.")).to_be_visible()
    counts = live.services.register.outbox_counts()
    assert counts["dead"] == 0
    message = live.services.register.outbox_messages(dossier_id=march["early"])[0]
    assert message.state == OutboxState.pending and message.attempts == 0
    audit = list(Audit(live.services.register).rows())[-1]
    assert audit["action"] == "sync_retry" and audit["dossiers"] == [march["early"]]
    assert audit["actor"] == "quan.tri" and audit["detail"]["requeued"] == 1


def test_admin_reads_bieu_06_for_march_and_downloads_the_workbook(live: Site, march: dict[str, int],
                                                                  page: Page) -> None:
    sign_in(page, live, "quan.tri")
    page.get_by_role("link", name="Báo cáo", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Biểu số 06/VPCP/KSTT")
    page.get_by_label("Từ ngày").fill("01/03/2026")
    page.get_by_label("Đến ngày (tính cả ngày này)").fill("31/03/2026")
    page.get_by_label("Cơ quan").fill(AGENCY)
    page.get_by_label("Cơ quan").press("Enter")
    expect(page.get_by_text("01/03/2026 – 31/03/2026")).to_be_visible()

    def cells(name: str) -> list[str]:
        row = page.locator("table.bieu06 tbody tr", has=page.locator("th", has_text=name))
        return [t.strip() for t in row.locator("td").all_inner_texts()][1:]

    # Received, online, direct/post, carried over; resolved, early, on time, late; open, within, past due.
    assert cells("Hộ tịch") == ["3", "2", "1", "0", "2", "1", "1", "0", "1", "1", "0"]
    assert cells("Chứng thực") == ["1", "0", "1", "0", "1", "0", "0", "1", "0", "0", "0"]
    assert cells("TỔNG CỘNG") == ["4", "2", "2", "0", "3", "1", "1", "1", "1", "1", "0"]

    def indicator(name: str) -> list[str]:
        row = page.locator("table.indicators tr", has=page.locator("th", has_text=name))
        return [t.strip() for t in row.locator("td").all_inner_texts()]

    assert indicator("1.4") == ["0.0%", "0", "4"]  # no province configured: none synced
    assert indicator("4.1") == ["100.0%", "3", "3"]
    assert indicator("4.2") == ["66.7%", "2", "3"]  # the late one was never digitized
    assert indicator("đúng hạn") == ["66.7%", "2", "3"]
    expect(page.get_by_text("dưới 80% hồ sơ đã giải quyết được số hóa")).to_be_visible()
    for picture in page.locator("img.plot").all():
        assert picture.evaluate("img => img.complete && img.naturalWidth > 300")
    shot(page, "reports")

    with page.expect_download() as download:
        page.get_by_role("link", name="Excel (.xlsx)").click()
    assert download.value.suggested_filename == f"bieu-06-20260301-20260331-{AGENCY}.xlsx"
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    rows = [[c.value for c in row] for row in book["Biểu 06"].iter_rows()]
    assert rows[-1] == [None, "TỔNG CỘNG", 4, 2, 2, 0, 3, 1, 1, 1, 1, 1, 0]
    audit = list(Audit(live.services.register).rows())[-1]
    assert audit["action"] == "report" and audit["detail"]["format"] == "xlsx" and audit["detail"]["agency"] == AGENCY
