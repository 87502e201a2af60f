"""OCR of our own renders: what a user cares about is the text, upright, with the form's values."""

import math
from pathlib import Path

import pytest
from PIL import ImageDraw, ImageFilter
from rapidfuzz.distance import Levenshtein

from ocr.pages import PageImage, split_pages
from ocr.recognize import OcrOptions, recognize_page
from tests.ocr.scans import DPI, PROSE, degrade, render, render_slip, save

FAST = OcrOptions(text_pdf=False)


def cer(truth: str, got: str) -> float:
    a, b = " ".join(truth.split()), " ".join(got.split())
    return Levenshtein.distance(a, b) / len(a)


@pytest.mark.slow
@pytest.mark.parametrize("turned", [90, 180, 270])
def test_rotated_pages_come_out_upright(tmp_path: Path, turned: int):
    page = degrade(render(PROSE)).rotate(turned, expand=True, fillcolor=245)  # fed turned counter-clockwise
    result = recognize_page(PageImage(save(page, tmp_path / "p.png"), 1, DPI), FAST)
    assert result.rotation == turned
    assert cer("\n".join(PROSE), result.text) < 0.05


def test_skewed_form_name_field_is_read_right(tmp_path: Path):
    lines = ["TỜ KHAI ĐĂNG KÝ KHAI SINH", "1. Họ, chữ đệm và tên: NGUYỄN THỊ KIM PHƯỢNG",
             "2. Ngày, tháng, năm sinh: 13/02/1969", "3. Nơi cư trú: phường Võ Thị Sáu, Quận 3"]
    page = degrade(render(lines, leaders=True), skew=1.4, seed=2)
    result = recognize_page(PageImage(save(page, tmp_path / "form.jpg", quality=70), 1, DPI), FAST)
    assert "Họ, chữ đệm và tên: NGUYỄN THỊ KIM PHƯỢNG" in result.text
    assert abs(result.skew + 1.4) < 0.3  # turned 1.4° counter-clockwise, levelled by turning it back
    assert "....." not in result.text  # the leaders were erased, not read as noise


def test_blank_page_with_show_through_is_flagged(tmp_path: Path):
    ghost = render(PROSE).point(lambda v: 245 - (245 - v) // 12).transpose(0)  # faint mirrored text
    result = recognize_page(PageImage(save(degrade(ghost), tmp_path / "blank.png"), 1, DPI), FAST)
    assert result.blank and result.text == ""


def test_words_have_boxes_and_confidence(tmp_path: Path):
    result = recognize_page(PageImage(save(degrade(render(PROSE)), tmp_path / "p.png"), 7, DPI))
    assert result.number == 7 and not result.blank and result.source == "ocr"
    assert result.confidence > 80 and result.rescan_reason is None
    word = next(w for w in result.words if w.text == "CỘNG")
    assert 90 <= word.left <= 110 and 90 <= word.top <= 115  # printed at (100, 100)
    assert result.text_pdf.startswith(b"%PDF")


def test_the_words_of_a_smudge_are_the_unsure_ones(tmp_path: Path):
    page = render(PROSE)
    line = DPI // 2 + 3 * int(13 * DPI / 72 * 1.6)  # the fourth line, its right half smudged
    smudge = (DPI // 2 + 500, line - 5, DPI // 2 + 1100, line + 45)
    page.paste(page.crop(smudge).filter(ImageFilter.GaussianBlur(2.2)), smudge)
    result = recognize_page(PageImage(save(degrade(page), tmp_path / "p.png"), 1, DPI), FAST)
    unsure = result.unsure_words(60)
    assert unsure
    for word in (w for w in result.words if w.text in unsure):
        assert smudge[0] <= word.left and word.left + word.width <= smudge[2]  # inside the smudge only
    assert "CỘNG" not in unsure and "Người" not in unsure


def test_blurred_scan_gets_a_rescan_reason(tmp_path: Path):
    page = degrade(render(PROSE), blur=3.0)
    result = recognize_page(PageImage(save(page, tmp_path / "p.png"), 1, DPI), FAST)
    assert result.rescan_reason == "blurred"


@pytest.mark.slow
def test_multipage_tiffs_and_jpeg_folders_are_split_in_order(tmp_path: Path):
    first, second = render(PROSE[:3]), render(PROSE[3:])
    g4 = tmp_path / "g4.tif"
    first.convert("1").save(g4, save_all=True, append_images=[second.convert("1")], compression="group4",
                            dpi=(DPI, DPI))
    jpeg = tmp_path / "jpeg.tif"
    first.save(jpeg, save_all=True, append_images=[second], compression="jpeg", dpi=(DPI, DPI))
    folder = tmp_path / "folder"
    folder.mkdir()
    save(second, folder / "page-10.jpg")
    save(first, folder / "page-2.jpg")
    for source in (g4, jpeg, folder):
        pages = split_pages([source], tmp_path / "work" / source.name)
        assert [p.number for p in pages] == [1, 2]
        texts = [recognize_page(p, FAST).text for p in pages]
        assert cer("\n".join(PROSE[:3]), texts[0]) < 0.05, source.name
        assert cer("\n".join(PROSE[3:]), texts[1]) < 0.05, source.name


def test_slip_is_read_column_by_column_and_row_by_row(tmp_path: Path):
    page = degrade(render_slip(), skew=0.4, seed=3)
    result = recognize_page(PageImage(save(page, tmp_path / "slip.jpg", quality=75), 1, DPI), FAST)
    assert result.text.split("\n") == [
        "UBND PHƯỜNG HÒA THUẬN", "BỘ PHẬN MỘT CỬA", "Mã hồ sơ: H22-250328-0762",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Phường Hòa Thuận, ngày 28",
        "Thành phần Số lượng", "Tờ khai đăng ký khai sinh 01 bản chính",
        "NGƯỜI NỘP HỒ SƠ", "(Ký, ghi rõ họ tên)", "Nguyễn Thị Hường",
        "NGƯỜI TIẾP NHẬN", "(Ký, ghi rõ họ tên)", "Dương Văn Hưởng"]


def test_a_seal_stamped_over_the_signer_leaves_the_title_and_name_readable(tmp_path: Path):
    # as agencies sign: title, the red (here grey) seal overlapping it and the name, a signature across
    page = render(["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH - PHÓ CHỦ TỊCH", "", "", "Trương Thị Hồng Ngân"],
                  size_pt=14)
    draw = ImageDraw.Draw(page)
    centre, radius = (300, 230), 120
    for r in (radius, radius - 22):
        draw.ellipse([centre[0] - r, centre[1] - r, centre[0] + r, centre[1] + r], outline=135, width=4)
    for k in range(24):  # the ticks between the rings
        a = 2 * math.pi * k / 24
        draw.line([(centre[0] + (radius - 20) * math.cos(a), centre[1] + (radius - 20) * math.sin(a)),
                   (centre[0] + (radius - 4) * math.cos(a), centre[1] + (radius - 4) * math.sin(a))], fill=135,
                  width=3)
    draw.line([(250 + 14 * k, 215 + (90 if k % 2 else 0) - 2 * k) for k in range(14)], fill=10, width=3)
    result = recognize_page(PageImage(save(degrade(page, seed=5), tmp_path / "signed.png"), 1, DPI), FAST)
    expected = ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH - PHÓ CHỦ TỊCH", "Trương Thị Hồng Ngân"]
    assert cer("\n".join(expected), result.text) < 0.05 and result.text.split("\n")[-1] == expected[-1]


@pytest.mark.parametrize("seed", [0, 1])
def test_a_short_wide_signature_between_title_and_name_is_not_read_as_a_line(tmp_path: Path, seed: int):
    # a quick zigzag under three letters tall: without the wide-mark rule Tesseract reads it as "WMWMW"
    page = render(["NGƯỜI ĐO VẼ", "", "", "Đinh Thị Kim Duyên"])
    ImageDraw.Draw(page).line([(230 + 11 * k, 205 + (55 if k % 2 else 0) - (k % 3) * 6) for k in range(18)],
                              fill=10, width=3)
    result = recognize_page(PageImage(save(degrade(page, seed=seed), tmp_path / "signed.png"), 1, DPI), FAST)
    lines = result.text.split("\n")
    assert lines[0] == "NGƯỜI ĐO VẼ" and len(lines) == 2 and cer("Đinh Thị Kim Duyên", lines[1]) < 0.1
