"""Dossiers without an application form, classified from the catalog's own fields.

The catalog here is the portal's export imported into an empty catalog: no curated title says
what a certification's attestation looks like, so the rule can only come from the procedures'
names and the fact that they list no request form. The dossiers come from `variants.render`:
one to three certified copies of papers of several kinds, private papers with the signature
attestation worded three ways, sometimes the applicant's ID card and a receipt slip.
"""

from __future__ import annotations

import lzma
from pathlib import Path

import pytest

from procedures import Catalog, classify
from procedures.importer import import_report
from tests.procedures.variants import MOTTO, receipt_slip, render

NATIONAL = Path(__file__).parent.parent / "data" / "catalog-national-trimmed.csv.xz"
CERTIFICATIONS = {"2.000815", "2.000884"}


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    path = tmp_path_factory.mktemp("portal") / "catalog-national.csv"
    path.write_bytes(lzma.decompress(NATIONAL.read_bytes()))
    return import_report(path, Catalog()).catalog


@pytest.mark.slow
@pytest.mark.parametrize("noise", [0.0, 0.04])
def test_certifications_classified_by_their_attestation(catalog: Catalog, portal: Catalog, noise: float) -> None:
    assert all(not portal.get(pid).titles for pid in CERTIFICATIONS)  # nothing curated to lean on
    dossiers = [d for d in render(catalog, seed=31, per_procedure=10, noise=noise) if d.label in CERTIFICATIONS]
    assert len({len(d.pages) for d in dossiers}) >= 3  # varied counts of papers
    right = 0
    for dossier in dossiers:
        result = classify(dossier.pages, portal)
        right += result.procedure == dossier.label
        assert dossier.label in [pid for pid, _ in result.top3], (dossier.variant, result.to_dict())
        assert result.needs_review or result.procedure == dossier.label, (dossier.variant, result.to_dict())
    assert right / len(dossiers) >= 0.9


@pytest.mark.slow
def test_translator_signature_told_from_plain_signature(portal: Catalog) -> None:
    paper = "\n".join([MOTTO, "GIẤY ỦY QUYỀN", "Bên ủy quyền: Lê Văn Tám", "LỜI CHỨNG CHỨNG THỰC CHỮ KÝ",
                       "Ông/bà Lê Văn Tám đã ký vào giấy tờ, văn bản này trước mặt tôi."])
    translation = "\n".join([MOTTO, "BẢN DỊCH", "Người dịch: Đỗ Minh Quân, cộng tác viên dịch thuật",
                             "LỜI CHỨNG CHỨNG THỰC CHỮ KÝ NGƯỜI DỊCH",
                             "Ông/bà Đỗ Minh Quân là người dịch, đã ký vào bản dịch này trước mặt tôi."])
    assert classify([paper], portal).procedure == "2.000884"
    translated = classify([translation], portal)
    assert translated.procedure != "2.000884" and translated.procedure in {
        "2.000975", "2.000988", "2.000992", "2.001008"}


@pytest.mark.slow
def test_a_heading_naming_two_procedures_goes_to_review_unless_the_slip_says(portal: Catalog) -> None:
    import random

    form = "\n".join([MOTTO, "ĐƠN ĐỀ NGHỊ ĐỔI, CẤP LẠI GIẤY PHÉP LÁI XE", "Kính gửi: Sở Xây dựng",
                      "Tôi là: Lê Văn Tám", "Số định danh cá nhân: 086190123456"])
    alone = classify([form], portal)
    assert alone.needs_review and {"3.000347", "3.000348"} <= {pid for pid, _ in alone.top3}
    slip = receipt_slip("Đổi giấy phép lái xe", random.Random(3), "vendor")
    assert classify([form, slip], portal).procedure == "3.000347"


@pytest.mark.slow
def test_a_form_of_another_template_filed_by_the_request_its_body_states(portal: Catalog) -> None:
    form = "\n".join([MOTTO, "THÔNG BÁO THAY ĐỔI NỘI DUNG ĐĂNG KÝ HỘ KINH", "DOANH",
                      "Kính gửi: Phòng Tài chính - Kế hoạch", "Tên hộ kinh doanh: Tạp hóa Minh Quân",
                      "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh như sau:", "Nội dung thay đổi: vốn"])
    result = classify([form], portal)
    assert result.procedure == "2.000720"
    assert any(e.kind == "stated_name" for e in result.evidence)


def test_attestation_heading_read_out_of_what_ocr_ran_into_it() -> None:
    from procedures.certification import headings
    from procedures.pages import read_page

    page = "\n".join([MOTTO, "GIẤY KHAI SINH", "(BẢN SAO)",
                      "CHỨNG THỰC BẢN SAO ĐÚNG VỚI BẢN CHÍNH Số chứng thực: 8052 Quyển số: 06/2025-SCT/BS",
                      "CHỨNG THỰC CbỮ KÝ", "Chứng thực bản sao đúng với bản chính. Ngày 01 tháng 02 năm 2025"])
    assert [key for _, key in headings(read_page(1, page))] == [
        "chung thuc ban sao dung voi ban chinh", "chung thuc cbu ky", "chung thuc ban sao dung voi ban chinh"]


@pytest.mark.slow
def test_a_name_written_with_an_abbreviation_is_found_spelled_out(portal: Catalog) -> None:
    # The portal writes "công ty TNHH một thành viên"; the form spells the company type out.
    form = "\n".join([MOTTO, "GIẤY ĐỀ NGHỊ ĐĂNG KÝ DOANH NGHIỆP", "CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN",
                      "Kính gửi: Phòng Đăng ký kinh doanh", "Tôi là: Hồ Quốc Bảo",
                      "Đăng ký công ty trách nhiệm hữu hạn một thành viên với các nội dung sau:"])
    result = classify([form], portal)
    assert result.procedure == "2.001583" and not result.needs_review
