"""Dossier texts for the procedures tests, written here rather than read from the samples.

They follow the real paperwork's layout (national motto, headings, labelled lines) but use their
own wording, so the classifier is tested on dossiers it was not developed on.
"""

from __future__ import annotations

import random

import pytest

from procedures import Catalog, load_catalog
from tests.procedures.variants import confuse
from vntext import fold

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"


def form(title: str, body: str, form_id: str = "") -> str:
    head = f"{form_id}\n" if form_id else ""
    return f"{head}{MOTTO}{title}\nKính gửi: Ủy ban nhân dân xã An Bình, huyện Long Hồ, tỉnh Vĩnh Long\n{body}"


def slip(request: str, code: str = "H62.19.05-250317-0042") -> str:
    return (
        "UBND XÃ AN BÌNH\nBỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ\n"
        f"Mã hồ sơ: {code}\n{MOTTO}GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ\n"
        "Ông/Bà: Trương Thị Mỹ Duyên ........................\n"
        f"Nội dung yêu cầu giải quyết: {request} ..............\n"
        "1. Thành phần hồ sơ nộp gồm: tờ khai (bản chính)\n"
        "3. Thời gian giải quyết hồ sơ theo quy định là: 03 ngày làm việc\n"
        "NGƯỜI NỘP HỒ SƠ\nNGƯỜI TIẾP NHẬN HỒ SƠ\n"
    )


ID_CARD = (
    f"{MOTTO}CĂN CƯỚC CÔNG DÂN\nCitizen Identity Card\nSố / No.: 086190123456\n"
    "Họ và tên / Full name:\nTRƯƠNG THỊ MỸ DUYÊN\nNgày sinh / Date of birth: 09/11/1990\n"
)
LAND_CERTIFICATE = (
    f"{MOTTO}GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU\nTÀI SẢN GẮN LIỀN VỚI ĐẤT\n"
    "I. Người sử dụng đất: Ông LÊ VĂN TÁM, CCCD số 086071234567\n"
    "a) Thửa đất số: 55 ........ Tờ bản đồ số: 12\nc) Diện tích: 180,0 m2\n"
)
CERTIFIED_BIRTH_COPY = (
    "ỦY BAN NHÂN DÂN XÃ AN BÌNH\nSố: 112\n" + MOTTO + "GIẤY KHAI SINH\n(BẢN SAO)\n"
    "Họ, chữ đệm, tên: LÊ MINH KHOA\nNgày, tháng, năm sinh: 02/02/1988\n"
    "CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN\nCHÍNH\nSố chứng thực: 77 Quyển số: 01/2025-SCT/BS\n"
)
NEWS = (
    "Năm qua, trung tâm phục vụ hành chính công của tỉnh tiếp nhận hơn 300 nghìn hồ sơ,\n"
    "tỷ lệ giải quyết đúng hạn đạt 99%. Việc số hóa hồ sơ, kết quả giải quyết thủ tục hành\n"
    "chính được đẩy mạnh, người dân hài lòng với thái độ phục vụ của cán bộ một cửa.\n"
)

_CONFUSIONS = {"o": "0", "l": "1", "e": "c", "n": "m", "i": "l", "u": "v", "h": "b"}


def ocr_noise(text: str, seed: int = 7, rate: float = 0.06) -> str:
    """Text as a poor OCR pass returns it: no diacritics, some letters confused, some dropped."""
    return confuse(fold(text), random.Random(seed), rate, _CONFUSIONS)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()
