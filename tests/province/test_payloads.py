"""The adapter's records built from plain dossier facts: what the portal reads in them."""

from __future__ import annotations

from typing import Any

from province.payloads import Agency, ProcedureInfo, dossier_record, field_code, portal_date, progress_step

BIRTH = ProcedureInfo("1.001193", "Đăng ký khai sinh", "Hộ tịch", "Giấy khai sinh")
AGENCY = Agency("000.00.21.H39", "UBND xã Bình Thạnh")


def facts(**changes: Any) -> dict[str, Any]:
    base = {"dossier_id": 7, "code": "000.00.21.H39-260312-0007", "channel": 2, "legal_status": 2,
            "received_at": "2026-03-12T02:30:00+00:00", "due_at": "2026-03-13T10:00:00+00:00",
            "procedure_id": "1.001193", "finished_at": None, "returned_at": None,
            "applicant_name": "NGUYỄN THỊ ĐOAN TRANG", "personal_id": "079301001234", "at": "2026-03-12T02:31:00+00:00",
            "files": []}
    return base | changes


def link(file: dict[str, Any]) -> str:
    return f"https://sohoa.example/files/t{file['id']}"


def test_dates_are_vietnam_time_in_the_portal_format() -> None:
    assert portal_date("2026-03-12T02:30:00+00:00") == "20260312093000"
    assert portal_date("2026-03-12T23:30:00+00:00") == "20260313063000"  # past midnight in Hà Nội
    assert portal_date(None) == ""


def test_a_received_dossier_is_status_2_with_its_receipt_and_appointment_and_no_files() -> None:
    record = dossier_record(facts(), BIRTH, AGENCY, link)
    assert record["MaHoSo"] == "000.00.21.H39-260312-0007" and record["MaTTHC"] == "1.001193"
    assert record["TrangThaiHoSo"] == 2 and record["KenhThucHien"] == 2
    assert (record["NgayTiepNhan"], record["NgayHenTra"]) == ("20260312093000", "20260313170000")
    assert record["HoSoCoThanhPhanSoHoa"] == 0 and record["TaiLieuNop"] == [] == record["DanhSachGiayToKetQua"]
    assert record["DinhDanhCHS"] == [{"LoaiDinhDanh": 1, "SoDinhDanh": "079301001234"}]
    assert (record["MaLinhVuc"], record["TenLinhVuc"]) == ("HO_TICH", "Hộ tịch")


def test_digitized_components_are_files_and_the_result_only_once_signed() -> None:
    files = [{"id": 3, "role": "digitized", "name": "d.pdf", "sha256": "a" * 64},
             {"id": 4, "role": "result", "name": "r.pdf", "sha256": "b" * 64},
             {"id": 5, "role": "signed_result", "name": "s1.pdf", "sha256": "c" * 64},
             {"id": 6, "role": "signed_result", "name": "s2.pdf", "sha256": "d" * 64}]
    digitized = dossier_record(facts(files=files), BIRTH, AGENCY, link)
    assert digitized["HoSoCoThanhPhanSoHoa"] == 1
    assert digitized["TaiLieuNop"] == [{"TepDinhKemId": "3", "TenTepDinhKem": "d.pdf", "MaThanhPhanHoSo": "",
                                        "DuongDanTaiTepTin": "https://sohoa.example/files/t3", "DuocSoHoa": 1,
                                        "DuocTaiSuDung": 0, "DuocLayTuKhoDMQG": 0}]
    assert digitized["DanhSachGiayToKetQua"] == []  # a result being signed is not the result yet
    signed = dossier_record(facts(files=files, legal_status=9, finished_at="2026-03-13T03:00:00+00:00"),
                            BIRTH, AGENCY, link)
    assert [r["GiayToId"] for r in signed["DanhSachGiayToKetQua"]] == ["6"]  # the last signature, sealed
    assert signed["DanhSachGiayToKetQua"][0]["TenGiayTo"] == "Giấy khai sinh"
    assert signed["NgayKetThucXuLy"] == "20260313100000" and signed["NgayTra"] == ""
    returned = dossier_record(facts(files=files, legal_status=10, finished_at="2026-03-13T03:00:00+00:00",
                                    returned_at="2026-03-14T01:00:00+00:00"), BIRTH, AGENCY, link)
    assert returned["TrangThaiHoSo"] == 10 and returned["NgayTra"] == "20260314080000"


def test_a_progress_step_is_the_same_step_when_sent_again() -> None:
    step = progress_step(facts(), "digitized", AGENCY)
    assert step == progress_step(facts(), "digitized", AGENCY)
    assert step["ThoiDiemXuLy"] == "20260312093100" and step["NoiDungXuLy"] == "Số hóa thành phần hồ sơ"
    assert field_code("Đất đai") == "DAT_DAI"
