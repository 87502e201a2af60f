"""The classifier files dossiers the way a one-stop clerk would, from the catalog alone."""

from __future__ import annotations

import pytest

from procedures import Catalog, classify
from procedures.catalog import Procedure
from tests.procedures.conftest import (
    CERTIFIED_BIRTH_COPY,
    ID_CARD,
    LAND_CERTIFICATE,
    NEWS,
    form,
    ocr_noise,
    slip,
)

BIRTH = form("TỜ KHAI ĐĂNG KÝ KHAI SINH", "Họ, chữ đệm, tên người yêu cầu: Trương Thị Mỹ Duyên\n"
             "Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:\nHọ, chữ đệm, tên: LÊ GIA HÂN\n")
LATE_BIRTH = form("TỜ KHAI ĐĂNG KÝ LẠI KHAI SINH", "Họ, chữ đệm, tên người yêu cầu: Lê Minh Khoa\n"
                  "Đề nghị cơ quan đăng ký lại khai sinh cho người có tên dưới đây\n")
LAND_TRANSFER = form("ĐƠN ĐĂNG KÝ BIẾN ĐỘNG ĐẤT ĐAI, TÀI SẢN\nGẮN LIỀN VỚI ĐẤT",
                     "1. Người sử dụng đất: LÊ VĂN TÁM\n4. Nội dung biến động: chuyển nhượng thửa đất số 55\n",
                     "Mẫu số 11/ĐK")


def ct01(request: str) -> str:
    return form("TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ",
                "1. Họ, chữ đệm và tên: Trương Thị Mỹ Duyên\n4. Số định danh cá nhân: 086190123456\n"
                f"10. Nội dung đề nghị: {request}\n11. Những thành viên trong hộ gia đình cùng thay đổi:\n",
                "Mẫu CT01")


def test_clean_form_is_filed_automatically(catalog: Catalog) -> None:
    result = classify([ID_CARD, BIRTH], catalog)
    assert result.procedure == "1.001193"
    assert not result.needs_review and result.confidence >= 0.8
    assert result.page_types == ["supporting", "application_form"]
    assert any(e.kind == "form_title" and e.page == 2 for e in result.evidence)


def test_noisy_ocr_without_diacritics(catalog: Catalog) -> None:
    noisy = [ocr_noise(ID_CARD, 1), ocr_noise(LATE_BIRTH, 2)]
    assert "LẠI" not in noisy[1] and noisy[1] != LATE_BIRTH
    result = classify(noisy, catalog)
    assert result.procedure == "1.004884"
    assert result.top3[0][0] == "1.004884"


@pytest.mark.parametrize(("request_line", "expected"), [
    ("Đăng ký thường trú vào hộ gia đình ông Lê Văn Tám tại ấp Phước Yên", "1.004222"),
    ("Đăng ký tạm trú tại chỗ ở thuê: số 4 đường 3 tháng 2, phường 1", "1.004194"),
    ("Khai báo tạm vắng để đi lao động tại tỉnh Bình Dương từ ngày 01/07/2025", "1.003677"),
])
@pytest.mark.parametrize("noisy", [False, True])
def test_ct01_trio_told_apart_by_the_request_line(catalog: Catalog, request_line: str, expected: str,
                                                  noisy: bool) -> None:
    page = ct01(request_line)
    result = classify([ocr_noise(page, 3, rate=0.03) if noisy else page, ID_CARD], catalog)
    assert result.procedure == expected
    assert {pid for pid, _ in result.top3} == {"1.004222", "1.004194", "1.003677"}
    if not noisy:
        assert not result.needs_review
        assert any(e.kind == "request_line" for e in result.evidence)


def test_certified_copy_among_supporting_papers_does_not_decide(catalog: Catalog) -> None:
    result = classify([slip("Đăng ký lại khai sinh"), CERTIFIED_BIRTH_COPY, LATE_BIRTH], catalog)
    assert result.procedure == "1.004884"
    assert result.page_types == ["receipt_slip", "supporting", "application_form"]


def test_certified_copy_alone_is_the_certification_procedure(catalog: Catalog) -> None:
    result = classify([CERTIFIED_BIRTH_COPY], catalog)
    assert result.procedure == "2.000815"
    assert result.page_types == ["application_form"]


def test_land_certificate_does_not_pass_for_the_first_registration_form(catalog: Catalog) -> None:
    result = classify([LAND_CERTIFICATE, LAND_TRANSFER], catalog)
    assert result.procedure == "DD.DANG-KY-BIEN-DONG"
    assert result.page_types == ["supporting", "application_form"]


def test_abbreviated_receipt_slip_is_evidence(catalog: Catalog) -> None:
    lltp = form("TỜ KHAI YÊU CẦU CẤP PHIẾU LÝ LỊCH TƯ PHÁP", "Họ và tên: Lê Minh Khoa\n", "Mẫu số 03/2024/LLTP")
    result = classify([slip("Cấp Phiếu LLTP"), lltp], catalog)
    assert result.procedure == "LLTP.CAP-PHIEU"
    slip_evidence = [e for e in result.evidence if e.kind == "receipt_slip"]
    assert slip_evidence and slip_evidence[0].page == 1 and slip_evidence[0].similarity >= 85


def test_slip_abbreviation_tells_close_procedures_apart(catalog: Catalog) -> None:
    garbled_form = ocr_noise(BIRTH, 5, rate=0.5)  # the form is unreadable: only the slip speaks
    result = classify([slip("ĐK khai sinh"), garbled_form], catalog)
    assert result.top3[0][0] == "1.001193"
    assert result.needs_review


@pytest.mark.parametrize("pages", [
    [form("ĐƠN KHIẾU NẠI", "Họ và tên người khiếu nại: Lê Văn Tám\nNội dung khiếu nại: bồi thường đất\n"),
     LAND_CERTIFICATE],
    [slip("Đăng ký nhận cha, mẹ, con"),
     form("TỜ KHAI ĐĂNG KÝ NHẬN CHA, MẸ, CON", "Họ, chữ đệm, tên người yêu cầu: Lê Văn Tám\n")],
    [NEWS],
    ["   \n . \n"],
], ids=["complaint-with-land-certificate", "paternity", "news", "blank"])
def test_out_of_catalog_goes_to_review_without_procedure(catalog: Catalog, pages: list[str]) -> None:
    result = classify(pages, catalog)
    assert result.procedure is None
    assert result.needs_review
    assert result.evidence == []


def test_province_catalog_without_titles_classifies_from_components() -> None:
    marriage = Procedure(id="P-KH", name="Đăng ký kết hôn", days=0,
                         components=("Tờ khai đăng ký kết hôn theo mẫu (bản chính)", "Giấy tờ tùy thân"))
    driving = Procedure(id="P-GPLX", name="Đổi giấy phép lái xe", days=5,
                        components=("Đơn đề nghị đổi, cấp lại giấy phép lái xe theo mẫu",))
    catalog = Catalog({p.id: p for p in (marriage, driving)})
    page = form("TỜ KHAI ĐĂNG KÝ KẾT HÔN", "Họ, chữ đệm, tên: Lê Văn Tám\n")
    assert classify([ocr_noise(page, 11, 0.03)], catalog).procedure == "P-KH"


def test_threshold_decides_review(catalog: Catalog) -> None:
    page = ct01("Đăng ký tạm trú tại chỗ ở thuê")
    assert not classify([page], catalog, threshold=0.5).needs_review
    assert classify([page], catalog, threshold=0.999).needs_review
