"""Fields read from dossier text, and masking them for logs."""

from __future__ import annotations

import datetime as dt

from procedures import extract_fields, mask
from tests.procedures.conftest import ID_CARD, form, ocr_noise, slip


def test_fields_from_a_slip_and_a_form() -> None:
    page = form("TỜ KHAI ĐĂNG KÝ KẾT HÔN",
                "1. Họ, chữ đệm và tên: Trương Thị Mỹ Duyên ............\n"
                "2. Ngày, tháng, năm sinh: 09/11/1990\n4. Số định danh cá nhân: 086190123456 ....\n"
                "An Bình, ngày 17 tháng 3 năm 2025\n")
    fields = extract_fields([slip("Đăng ký kết hôn"), page])
    assert fields.dossier_code == "H62.19.05-250317-0042"
    assert fields.applicant_name == "Trương Thị Mỹ Duyên"
    assert fields.personal_id == "086190123456"
    assert dt.date(1990, 11, 9) in fields.dates and dt.date(2025, 3, 17) in fields.dates


def test_id_number_needs_its_label() -> None:
    fields = extract_fields(["Số điện thoại: 0913 287 898\nSố tài khoản: 123456789012\n", ID_CARD])
    assert fields.personal_id == "086190123456"


def test_fields_survive_missing_diacritics() -> None:
    fields = extract_fields([ocr_noise("Họ và tên: Lê Văn Tám\nSố định danh cá nhân: 086071234567\n", rate=0)])
    assert fields.applicant_name == "Le Van Tam"
    assert fields.personal_id == "086071234567"


def test_nothing_to_read() -> None:
    fields = extract_fields(["", "Tài liệu không có thông tin cá nhân."])
    assert (fields.dossier_code, fields.applicant_name, fields.personal_id, fields.dates) == (None, None, None, [])


def test_mask_hides_personal_data() -> None:
    assert mask("086190123456") == "08********56"
    assert mask("Trương Thị Mỹ Duyên") == "T***** T** M* D****"
    assert "123" not in mask("0861901234")
    assert mask(None) == ""
