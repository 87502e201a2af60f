from ocr.layer import text_layer_problem
from ocr.text import legacy_encoding, normalize_text

UNICODE = "Cộng hòa xã hội chủ nghĩa Việt Nam. Độc lập - Tự do - Hạnh phúc"
TCVN3 = "Céng hßa x· héi chñ nghÜa ViÖt Nam. §éc lËp - Tù do - H¹nh phóc"
VNI = "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam. Ñoäc laäp - Töï do - Haïnh phuùc"


def test_legacy_encodings_are_recognized_and_decoded():
    assert legacy_encoding(TCVN3) == "tcvn3"
    assert legacy_encoding(VNI) == "vni"
    assert normalize_text(TCVN3) == UNICODE
    assert normalize_text(VNI) == UNICODE


def test_unicode_text_is_left_alone_and_made_nfc():
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Ho\u0300a ©"
    assert legacy_encoding(UNICODE + " © ®") is None
    assert normalize_text(decomposed) == "Nguyễn Thị Hòa ©"


def test_text_layer_verdicts():
    assert text_layer_problem(UNICODE) is None
    assert text_layer_problem("") == "empty"
    assert text_layer_problem(TCVN3) == "legacy encoding (TCVN3)"
    assert text_layer_problem("\ufffd\ufffd\ufffd\ue000\ue001\ue002 " * 10) == "garbage"
