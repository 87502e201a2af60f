"""Folding makes typed-without-marks text meet printed text, and keeps offsets for highlighting."""

from __future__ import annotations

import unicodedata

from vntext import fold, has_diacritics, nfc


def test_folds_every_mark_and_d_with_stroke() -> None:
    assert fold("ĐĂNG KÝ KHAI SINH cho Nguyễn Thị Ưng, đường Lạc Long Quân") == (
        "DANG KY KHAI SINH cho Nguyen Thi Ung, duong Lac Long Quan")


def test_nfd_input_folds_like_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Tờ khai đăng ký kết hôn")
    assert fold(decomposed) == fold("Tờ khai đăng ký kết hôn") == "To khai dang ky ket hon"


def test_same_length_so_offsets_map_back() -> None:
    text = nfc("Hồ sơ của ông/bà: TRẦN ĐỨC THẮNG — 12 trang")
    assert len(fold(text)) == len(text)
    start = fold(text).index("TRAN DUC THANG")
    assert text[start:start + 14] == "TRẦN ĐỨC THẮNG"


def test_has_diacritics() -> None:
    assert has_diacritics("đăng ký") and has_diacritics("Đ")
    assert not has_diacritics("dang ky khai sinh 2025")
