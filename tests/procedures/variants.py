"""Dossiers rendered from the catalog in several layouts and wordings, to show the classifier generalizes.

Each in-catalog procedure's application is rendered in two layouts (a circular's numbered form
under the catalog title, and a hand-written request "ĐƠN ĐỀ NGHỊ ..." that states the procedure in
a sentence), each receipt slip in two styles (the one-stop "GIẤY TIẾP NHẬN" with its "Nội dung yêu
cầu giải quyết" line, and a vendor's "PHIẾU TIẾP NHẬN" table with "Tên thủ tục"). Procedures
sharing a form state their request as a sentence, a ticked box among the options, an
abbreviation, or only on the slip. Certification dossiers have no form: one to three certified
copies of papers of several kinds with the attestation, or private papers with the signature
attestation, worded in the ways Decree 23/2015 allows, sometimes with the applicant's ID card.
Out-of-catalog dossiers are requests for procedures no catalog here holds (health, education,
culture), a news page and a blank one. Text can be passed through OCR-like noise. Everything
is driven by a seed, so the benchmark renders other dossiers than the tests by choosing another
one.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from procedures import Catalog, Procedure
from vntext import fold

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
PEOPLE = ["Trương Thị Mỹ Duyên", "Lê Văn Tám", "Nguyễn Hoàng Phúc", "Phạm Thị Thu Hà", "Đỗ Minh Quân",
          "Vũ Thị Lan Anh", "Hồ Quốc Bảo", "Bùi Ngọc Trâm"]
PLACES = ["xã An Bình, tỉnh Vĩnh Long", "phường Hòa Minh, thành phố Đà Nẵng", "xã Tân Lập, tỉnh Tây Ninh",
          "phường Quang Trung, tỉnh Hưng Yên", "xã Mỹ Hòa, tỉnh Đồng Tháp"]
AGENCIES = ["Ủy ban nhân dân", "Công an", "Sở Tư pháp", "Trung tâm Phục vụ hành chính công"]
# Requests for procedures that neither the shipped nor the national catalog holds (ministries of
# health, education and culture are missing from it), plus papers that are no request at all.
OUT_OF_CATALOG = [
    ("ĐƠN ĐỀ NGHỊ CẤP CHỨNG CHỈ HÀNH NGHỀ KHÁM BỆNH, CHỮA BỆNH", "cấp chứng chỉ hành nghề khám bệnh, chữa bệnh"),
    ("ĐƠN XIN NHẬP HỌC", "cho con tôi được nhập học lớp 1 năm học 2025-2026"),
    ("ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP KINH DOANH DỊCH VỤ KARAOKE", "cấp giấy phép kinh doanh dịch vụ karaoke"),
    ("ĐƠN XIN CHUYỂN TRƯỜNG", "cho học sinh được chuyển trường từ trường THCS An Bình"),
    ("GIẤY ĐỀ NGHỊ CẤP THẺ BẢO HIỂM Y TẾ", "cấp lại thẻ bảo hiểm y tế bị mất"),
]
NEWS = ("Năm qua, trung tâm phục vụ hành chính công của tỉnh tiếp nhận hơn 300 nghìn hồ sơ, tỷ lệ\n"
        "giải quyết đúng hạn đạt 99%. Việc số hóa hồ sơ được đẩy mạnh, người dân hài lòng với thái độ\n"
        "phục vụ của cán bộ một cửa, thời gian chờ đợi giảm đáng kể so với cùng kỳ năm trước.\n")
COPIED_PAPERS = [
    ("GIẤY KHAI SINH\n(BẢN SAO)", "Họ, chữ đệm, tên: {name}\nNgày, tháng, năm sinh: 02/02/1988\n"
     "Nơi sinh: {place}\nSao từ Sổ đăng ký khai sinh"),
    ("BẰNG TỐT NGHIỆP TRUNG HỌC PHỔ THÔNG", "Cấp cho: {name}\nNgày sinh: 11/09/2001\nXếp loại: Khá"),
    ("CĂN CƯỚC CÔNG DÂN", "Số / No.: 086190123456\nHọ và tên / Full name: {name}\nQuê quán: {place}"),
    ("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", "Tên hộ kinh doanh: Tạp hóa {name}\nĐịa chỉ: {place}"),
]
COPIED_PAPERS += [
    ("HỌC BẠ TRUNG HỌC CƠ SỞ", "Họ và tên học sinh: {name}\nNăm học 2015-2016: Lớp 9A\nXếp loại học lực: Giỏi"),
    ("GIẤY CHỨNG NHẬN KẾT HÔN", "Họ, chữ đệm, tên chồng: {name}\nNơi đăng ký: {place}\nNgày đăng ký: 05/05/2019"),
    ("SỔ HỘ KHẨU", "Họ tên chủ hộ: {name}\nSố nhà, đường phố: {place}"),
]
PRIVATE_PAPERS = [
    ("GIẤY ỦY QUYỀN", "Bên ủy quyền: {name}\nBên nhận ủy quyền: Lê Minh Khoa\nNội dung ủy quyền: "
     "nhận thay kết quả giải quyết hồ sơ"),
    ("GIẤY CAM KẾT", "Tôi tên là: {name}\nCam kết thực hiện đúng các quy định về phòng cháy"),
    ("BẢN KHAI NHÂN KHẨU", "Họ và tên: {name}\nNơi ở hiện nay: {place}\nNghề nghiệp: làm nông"),
    ("HỢP ĐỒNG THUÊ NHÀ", "Bên cho thuê: {name}\nBên thuê: Lê Minh Khoa\nĐịa chỉ nhà cho thuê: {place}"),
    ("ĐƠN XIN VIỆC", "Tôi tên là: {name}\nNơi ở: {place}\nTôi làm đơn này xin được làm việc tại công ty"),
]
_CONFUSIONS = {"o": "0", "l": "1", "e": "c", "n": "m", "i": "l", "u": "v", "h": "b", "a": "ă", "d": "đ"}


@dataclass(frozen=True)
class Dossier:
    """A rendered dossier: its pages' text, the label (None out of catalog) and how it was drawn."""

    pages: list[str]
    label: str | None
    variant: str


def confuse(text: str, rng: random.Random, rate: float, confusions: dict[str, str] = _CONFUSIONS) -> str:
    """`text` with letters OCR confuses swapped (`confusions`) and a few letters dropped, at `rate`."""
    out = []
    for char in text:
        roll = rng.random()
        if char.lower() in confusions and roll < rate:
            out.append(confusions[char.lower()])
        elif char.isalpha() and roll > 1 - rate / 3:
            continue
        else:
            out.append(char)
    return "".join(out)


def ocr_noise(text: str, rng: random.Random, rate: float) -> str:
    """Text as a poor OCR pass returns it: marks lost on some lines, letters confused or dropped."""
    lines = []
    for line in text.splitlines():
        line = fold(line) if rng.random() < 0.3 else line
        lines.append(confuse(line, rng, rate))
    return "\n".join(lines)


def _lower_name(procedure: Procedure) -> str:
    name = re.sub(r"\s*\(.*?\)", "", procedure.name)
    return name[:1].lower() + name[1:]


def _person(rng: random.Random) -> dict[str, str]:
    return {"name": rng.choice(PEOPLE), "place": rng.choice(PLACES)}


def _fields(rng: random.Random, numbered: bool) -> list[str]:
    who = _person(rng)
    labels = [("Họ, chữ đệm và tên", who["name"]), ("Ngày, tháng, năm sinh", "09/11/1990"),
              ("Số định danh cá nhân", "0861901" + str(rng.randint(10000, 99999))),
              ("Nơi cư trú", who["place"]), ("Số điện thoại", "0909 " + str(rng.randint(100000, 999999)))]
    rng.shuffle(labels)
    return [f"{i}. {label}: {value} ......" if numbered else f"{label}: {value}"
            for i, (label, value) in enumerate(labels[: rng.randint(3, 5)], start=1)]


def _wrap(title: str, rng: random.Random) -> str:
    words = title.split()
    if len(words) > 6 and rng.random() < 0.5:
        cut = len(words) // 2
        return " ".join(words[:cut]) + "\n" + " ".join(words[cut:])
    return title


def _authority(rng: random.Random) -> str:
    return f"Kính gửi: {rng.choice(AGENCIES)} {rng.choice(PLACES)}"


def circular_form(procedure: Procedure, request: str, rng: random.Random) -> str:
    """Layout A: the circular's form, catalog title, numbered fields and a content line."""
    form_id = next((f for f in procedure.forms if f.upper().startswith(("CT", "MẪU"))), "")
    head = [f"Mẫu {form_id}" if form_id and not form_id.startswith("Mẫu") else form_id] if form_id else []
    title = procedure.titles[0] if procedure.titles else f"ĐƠN ĐỀ NGHỊ {procedure.name.upper()}"
    body = _fields(rng, numbered=True)
    body.insert(rng.randint(1, len(body)), f"{len(body) + 1}. Nội dung đề nghị: {request}")
    sign = rng.choice([["NGƯỜI KÊ KHAI", "(Ký, ghi rõ họ tên)"], ["Người yêu cầu", "(Ký, ghi rõ họ, chữ đệm, tên)"]])
    return "\n".join([*head, MOTTO, _wrap(title, rng), _authority(rng), *body, *sign])


def handwritten_request(procedure: Procedure, rng: random.Random) -> str:
    """Layout B: a citizen's own request letter that states the procedure in a sentence."""
    heading = rng.choice(["ĐƠN ĐỀ NGHỊ", "ĐƠN ĐỀ NGHỊ " + _lower_name(procedure).upper()])
    about = f"V/v: {_lower_name(procedure)}" if rng.random() < 0.5 else f"(Về việc {_lower_name(procedure)})"
    who = _person(rng)
    opening = rng.choice(["Tôi tên là", "Tôi là", "Họ và tên người đề nghị"])
    ask = rng.choice([f"Nay tôi làm đơn này kính đề nghị quý cơ quan giải quyết việc {_lower_name(procedure)}.",
                      f"Tôi đề nghị được {_lower_name(procedure)} theo quy định.",
                      f"Kính mong quý cơ quan xem xét, giải quyết {_lower_name(procedure)} cho tôi."])
    return "\n".join([MOTTO, f"{who['place'].split(',')[0].title()}, ngày 12 tháng 6 năm 2025", heading, about,
                      _authority(rng), f"{opening}: {who['name']}", *_fields(rng, numbered=False), ask,
                      "Tôi xin cam đoan những nội dung trên là đúng sự thật.", "NGƯỜI LÀM ĐƠN", who["name"]])


def shared_form_request(procedure: Procedure, siblings: list[Procedure], rng: random.Random) -> tuple[str, str]:
    """The request of a procedure whose form others share, worded one of four ways: (page, how)."""
    name = procedure.name
    how = rng.choice(["sentence", "ticked", "abbreviated", "slip_only"])
    if how == "sentence":
        where = rng.choice(["tại chỗ ở hợp pháp", "cho bản thân", "theo hộ gia đình"])
        request = f"{name} {where} tại {rng.choice(PLACES)}"
    elif how == "ticked":
        mark = rng.choice(["☒", "[x]", "(x)", "☑"])
        empty = {"☒": "☐", "[x]": "[ ]", "(x)": "( )", "☑": "☐"}[mark]
        options = [f"{mark if p.id == procedure.id else empty} {p.name}" for p in siblings]
        request = ("  ".join(options) if rng.random() < 0.5 else "\n".join(options))
    elif how == "abbreviated":
        words = fold(name).split()
        request = "".join(w[0] for w in name.split()[:2]).upper() + " " + " ".join(name.split()[2:]) \
            if len(words) > 2 else name.upper()
    else:
        request = rng.choice(["", "theo hồ sơ đính kèm"])
    return circular_form(procedure, request, rng), how


def certification_page(procedure: Procedure, rng: random.Random) -> str:
    """A certified paper: a copy with the copy attestation, or a private paper with the signature one."""
    who = _person(rng)
    number = f"Số chứng thực: {rng.randint(10, 9999)} Quyển số: 0{rng.randint(1, 9)}/2025-SCT"
    officer = ["NGƯỜI THỰC HIỆN CHỨNG THỰC", "(Ký, đóng dấu và ghi rõ họ tên)", rng.choice(PEOPLE)]
    if "bản sao" in procedure.name.lower():
        title, body = rng.choice(COPIED_PAPERS)
        attest = rng.choice(["CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN\nCHÍNH", "Chứng thực bản sao đúng với bản chính",
                             "CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH", "Chứng thực bản sao đúng với bản chính.\n"
                             f"Ngày {rng.randint(1, 28)} tháng {rng.randint(1, 12)} năm 2025"])
        return "\n".join([MOTTO, title, body.format(**who), attest, number + "/BS", *officer])
    title, body = rng.choice(PRIVATE_PAPERS)
    statement = rng.choice([
        ["LỜI CHỨNG CHỨNG THỰC CHỮ KÝ", f"Tại {rng.choice(AGENCIES)} {who['place']}",
         f"Chứng thực: Ông/bà {who['name']} đã ký vào giấy tờ, văn bản này trước mặt tôi."],
        ["Lời chứng chứng thực chữ ký", f"Tôi, {rng.choice(PEOPLE)}, Phó Chủ tịch Ủy ban nhân dân",
         "Chứng thực", f"Ông/bà {who['name']} đã ký vào giấy tờ, văn bản này trước mặt tôi."],
        ["CHỨNG THỰC CHỮ KÝ", f"Hôm nay, tại {rng.choice(AGENCIES)} {who['place']},",
         f"ông/bà {who['name']} đã điểm chỉ và ký vào giấy tờ này trước mặt người thực hiện chứng thực."],
    ])
    return "\n".join([MOTTO, title, body.format(**who), "NGƯỜI YÊU CẦU", who["name"], *statement,
                      number + "/CK", *officer])


def receipt_slip(procedure_line: str, rng: random.Random, style: str) -> str:
    """A receipt slip in one of two styles: the one-stop form 01, or a vendor's table."""
    who = _person(rng)
    code = f"H62.19.{rng.randint(10, 99)}-2503{rng.randint(10, 28)}-{rng.randint(1, 9999):04d}"
    if style == "one_stop":
        return "\n".join([f"{rng.choice(AGENCIES).upper()}", "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", f"Mã hồ sơ: {code}",
                          MOTTO, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", f"Ông/Bà: {who['name']} ......",
                          f"Nội dung yêu cầu giải quyết: {procedure_line} ......",
                          "1. Thành phần hồ sơ nộp gồm: tờ khai (bản chính)", "NGƯỜI NỘP HỒ SƠ",
                          "NGƯỜI TIẾP NHẬN HỒ SƠ"])
    return "\n".join(["HỆ THỐNG THÔNG TIN GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", "PHIẾU TIẾP NHẬN HỒ SƠ",
                      f"Số hồ sơ: {code}", f"Người nộp: {who['name']}", f"Địa chỉ: {who['place']}",
                      f"Tên thủ tục: {procedure_line}", "Lĩnh vực: theo danh mục",
                      "Ngày hẹn trả: 20/06/2025", "Cán bộ tiếp nhận (ký)"])


def _slip_line(procedure: Procedure, rng: random.Random) -> str:
    name = procedure.name
    if rng.random() < 0.3 and len(name.split()) > 3:
        words = name.split()
        return "".join(w[0] for w in words[:2]).upper() + " " + " ".join(words[2:])
    return name


def _supporting(rng: random.Random) -> str:
    title, body = rng.choice(COPIED_PAPERS[1:3] + PRIVATE_PAPERS[:1])
    return "\n".join([MOTTO, title, body.format(**_person(rng))])


def render(catalog: Catalog, seed: int, per_procedure: int = 4, noise: float = 0.0,
           out_of_catalog: int = 8) -> list[Dossier]:
    """Dossiers for every catalog procedure, `per_procedure` each, plus out-of-catalog ones."""
    rng = random.Random(seed)
    sharing: dict[str, list[Procedure]] = {}
    for procedure in catalog:
        if procedure.titles:
            sharing.setdefault(procedure.titles[0], []).append(procedure)
    dossiers: list[Dossier] = []
    for procedure in catalog:
        siblings = sharing.get(procedure.titles[0], []) if procedure.titles else []
        formless = not any(fold(t).lower().startswith(("to khai", "don", "giay de nghi", "thong bao"))
                           for t in procedure.titles)
        for n in range(per_procedure):
            pages: list[str] = []
            if formless:
                # One to three papers certified, and sometimes the applicant's ID card shown with them.
                pages = [certification_page(procedure, rng) for _ in range(rng.randint(1, 3))]
                if rng.random() < 0.4:
                    pages.insert(rng.randint(0, len(pages)), "\n".join(
                        [MOTTO, COPIED_PAPERS[2][0], COPIED_PAPERS[2][1].format(**_person(rng))]))
                variant = "certification"
            elif len(siblings) > 1:
                page, variant = shared_form_request(procedure, siblings, rng)
                pages = [page]
            elif n % 2 == 0:
                pages, variant = [circular_form(procedure, _lower_name(procedure), rng)], "circular"
            else:
                pages, variant = [handwritten_request(procedure, rng)], "handwritten"
            if variant != "certification" and rng.random() < 0.5:
                pages.insert(rng.randint(0, len(pages)), _supporting(rng))
            slip_style = rng.choice(["one_stop", "vendor"])
            if variant == "slip_only" or rng.random() < 0.4:
                slip = receipt_slip(_slip_line(procedure, rng), rng, slip_style)
                pages.insert(0 if rng.random() < 0.5 else len(pages), slip)
                variant += f"+slip:{slip_style}"
            if noise:
                pages = [ocr_noise(page, rng, noise) for page in pages]
            dossiers.append(Dossier(pages, procedure.id, variant))
    for n in range(out_of_catalog):
        kind = n % 4
        if kind in (0, 1):
            title, request = OUT_OF_CATALOG[rng.randrange(len(OUT_OF_CATALOG))]
            pages = ["\n".join([MOTTO, title, _authority(rng), *_fields(rng, numbered=kind == 0),
                                f"Nội dung đề nghị: {request}", "NGƯỜI LÀM ĐƠN"])]
            if rng.random() < 0.5:
                pages.append(_supporting(rng))
            variant = "ooc_form"
        elif kind == 2:
            pages, variant = [NEWS], "news"
        else:
            pages, variant = ["   \n . \n ' \n"], "blank"
        if noise:
            pages = [ocr_noise(page, rng, noise) for page in pages]
        dossiers.append(Dossier(pages, None, variant))
    return dossiers
