from ocr.mrz import fix_mrz

CARD_BACK = """Họ, chữ đệm và tên / Full name: VÕ THỊ DIỆU YẾN
Đặc điểm nhân dạng: Sẹo chấm C:2cm dưới sau mép trái
TDVNM1827023911040182702391<<1
8207087F4207084VNM<<<<<<<<<<<]7
V0<<THTI<DTEU<YEN<<<<<<<<<<<<<<
CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH"""


def test_the_zone_is_read_by_its_rules_and_the_printed_name():
    lines = fix_mrz(CARD_BACK).split("\n")
    assert lines[2:5] == ["IDVNM1827023911040182702391<<1", "8207087F4207084VNM<<<<<<<<<<<7",
                          "VO<<THI<DIEU<YEN<<<<<<<<<<<<<<"]
    assert lines[:2] == CARD_BACK.split("\n")[:2] and lines[5] == CARD_BACK.split("\n")[5]


def test_text_without_a_zone_is_left_alone():
    text = "Số định danh: 001234567890\nTT<<ABC\nNGUYEN<<VAN<AN"
    assert fix_mrz(text) == text


def test_a_name_part_not_printed_on_the_page_is_kept_as_read():
    text = ("Full name: TRẦN AN\nTDVNM1827023911040182702391<<1\n8207087F4207084VNM<<<<<<<<<<<7\n"
            "TRAN<<TAM<<<<<<<<<<<<<<<<<<<<<")
    assert fix_mrz(text).split("\n")[3] == "TRAN<<TAM<<<<<<<<<<<<<<<<<<<<<"
