"""Reading order from word boxes: headers and signatures by column, tables by row, forms by line."""

from ocr.layout import Box, Word, reading_order, table_cells

CHAR = 14  # pixels per character of the fake words below
HEIGHT = 30


def line(text: str, left: int, top: int, space: int = 8) -> list[Word]:
    """The words of `text` laid out from (left, top) as Tesseract would box them."""
    words = []
    for word in text.split():
        words.append(Word(word, left, top, CHAR * len(word), HEIGHT, 95.0))
        left += CHAR * len(word) + space
    return words


def test_two_column_header_is_read_column_by_column():
    # each column is centred; the agency's second line reaches past where the motto starts
    words = (line("UBND PHƯỜNG HÒA THUẬN", 125, 100) + line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 450, 100)
             + line("BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", 60, 140) + line("Độc lập - Tự do - Hạnh phúc", 500, 140)
             # the date line sits a little lower than the code beside it
             + line("Mã hồ sơ: 000.12.10.H22-250328-0762", 30, 180) + line("Phường Hòa Thuận, ngày 28", 530, 188)
             + line("GIẤY TIẾP NHẬN HỒ SƠ", 300, 260))
    assert reading_order(words).split("\n") == [
        "UBND PHƯỜNG HÒA THUẬN", "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", "Mã hồ sơ: 000.12.10.H22-250328-0762",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Phường Hòa Thuận, ngày 28",
        "GIẤY TIẾP NHẬN HỒ SƠ"]


def test_justified_lines_are_not_columns():
    words = (line("Chúng tôi cam đoan những lời khai", 100, 100, space=30)
             + line("kết hôn của chúng tôi là tự nguyện", 100, 140, space=28))
    assert reading_order(words).split("\n") == ["Chúng tôi cam đoan những lời khai",
                                                 "kết hôn của chúng tôi là tự nguyện"]


def test_signature_blocks_keep_their_names_across_the_empty_space():
    words = (line("Làm tại: Phường 11, ngày 13 tháng 3", 380, 100)
             + line("Bên nữ", 250, 160) + line("Bên nam", 900, 160)
             + line("(Ký, ghi rõ họ tên)", 150, 200) + line("(Ký, ghi rõ họ tên)", 800, 200)
             # the signatures were erased: the widest gap on the page is above the names
             + line("Nguyễn Bảo Trâm", 180, 400) + line("Huỳnh Đức Thắng", 830, 400))
    assert reading_order(words).split("\n") == [
        "Làm tại: Phường 11, ngày 13 tháng 3", "Bên nữ", "(Ký, ghi rõ họ tên)", "Nguyễn Bảo Trâm",
        "Bên nam", "(Ký, ghi rõ họ tên)", "Huỳnh Đức Thắng"]


def test_a_date_line_over_two_signature_blocks_comes_first():
    words = (line("Phường 9, ngày 17 tháng 3", 820, 100)
             + line("Ý KIẾN CỦA CHỦ HỘ", 150, 150) + line("NGƯỜI KÊ KHAI", 900, 150)
             + line("(Ghi rõ nội dung)", 140, 190) + line("(Ký, ghi rõ họ tên)", 840, 190)
             + line("Đồng ý cho đăng ký", 130, 230)
             + line("Võ Thị Phương Nguyệt", 830, 400) + line("Nguyễn Ngọc Luận", 160, 450))
    assert reading_order(words).split("\n") == [
        "Phường 9, ngày 17 tháng 3", "Ý KIẾN CỦA CHỦ HỘ", "(Ghi rõ nội dung)", "Đồng ý cho đăng ký",
        "Nguyễn Ngọc Luận", "NGƯỜI KÊ KHAI", "(Ký, ghi rõ họ tên)", "Võ Thị Phương Nguyệt"]


def test_a_leader_keeps_a_form_line_whole():
    first = line("2. Ngày sinh: 14/06/1994", 100, 100) + line("3. Giới tính: Nữ", 700, 100)
    second = line("5. Số điện thoại: 0351", 100, 140) + line("6. Email: không có", 680, 140)
    # the dots between the fields were erased before OCR; their boxes sit on the baseline
    leaders = [Box(440, 122, 690, 128), Box(420, 162, 670, 168)]
    assert reading_order(first + second, leaders).split("\n") == [
        "2. Ngày sinh: 14/06/1994 3. Giới tính: Nữ", "5. Số điện thoại: 0351 6. Email: không có"]


def test_a_short_line_beside_the_title_is_not_a_column():
    words = line("Mẫu số 01", 1300, 80) + line("CỘNG HÒA XÃ HỘI", 500, 100) + line("Độc lập", 560, 140)
    assert reading_order(words).split("\n") == ["Mẫu số 01", "CỘNG HÒA XÃ HỘI", "Độc lập"]


def test_table_rows_are_read_row_by_row_with_wrapped_cells_whole():
    rules_h = [Box(100, y, 1200, y + 2) for y in (100, 150, 260)]
    rules_v = [Box(x, 100, x + 2, 262) for x in (100, 400, 800, 1200)]
    words = (line("Thông tin", 150, 110) + line("Bên nữ", 450, 110) + line("Bên nam", 850, 110)
             + line("Nơi cư trú", 150, 190) + line("số 142/7 đường", 420, 160) + line("Trần Quốc Thảo", 420, 200)
             + line("số 27 đường", 820, 160) + line("Nguyễn Đình Chiểu", 820, 200)
             + line("Chúng tôi cam đoan", 100, 300))
    assert reading_order(words, (), rules_h, rules_v).split("\n") == [
        "Thông tin Bên nữ Bên nam", "Nơi cư trú số 142/7 đường Trần Quốc Thảo số 27 đường Nguyễn Đình Chiểu",
        "Chúng tôi cam đoan"]


def test_an_underline_is_not_a_table():
    underline = [Box(800, 170, 1100, 172), Box(820, 330, 1080, 332)]
    assert table_cells(underline, [Box(50, 0, 52, 900)], slack=15) == []


def test_signature_scribbles_and_specks_are_not_text():
    words = [*line("NGƯỜI NỘP HỒ SƠ", 100, 100), Word("j4", 150, 140, 170, 3 * HEIGHT, 0.0),
             Word("_", 400, 100, 10, HEIGHT, 40.0), *line("Nguyễn Thị Hường", 100, 240)]
    assert reading_order(words) == "NGƯỜI NỘP HỒ SƠ\nNguyễn Thị Hường"


def test_what_tesseract_gave_up_on_between_two_signature_blocks_does_not_part_them():
    # a signature's leftover strokes read as a word Tesseract has no confidence in, letters or not
    words = (line("BÊN ỦY QUYỀN", 250, 100) + line("BÊN NHẬN ỦY QUYỀN", 900, 100)
             + [Word("W\"NWN", 960, 170, 90, HEIGHT + 10, 4.0), Word("ngày", 300, 300, 60, HEIGHT, 41.0)]
             + line("Đoàn Thị Kim Luyến", 200, 240) + line("Trương Bá Hưởng", 900, 240))
    assert reading_order(words).split("\n") == ["BÊN ỦY QUYỀN", "Đoàn Thị Kim Luyến", "ngày",
                                                 "BÊN NHẬN ỦY QUYỀN", "Trương Bá Hưởng"]
