"""The provincial adapter's records, built from a dossier's plain facts (domain.md, "Hand-off").

Field names are those real one-stop clients send to the adapter in front of the national portal
(Cổng DVCQG); dates are `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh. Files travel as download links the
portal fetches, never inline: the caller passes a `link` function that makes a short-lived one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from vntext import fold

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DATE_FORMAT = "%Y%m%d%H%M%S"
PROCESSED, RETURNED = 9, 10
UNKNOWN_APPLICANT = "Chưa xác định"

# What each message tells the province, for its processing history (CapNhatTienDoHoSoMC).
STEP_TEXT = {
    "received": "Tiếp nhận hồ sơ",
    "classified": "Xác định thủ tục hành chính",
    "digitized": "Số hóa thành phần hồ sơ",
    "result_signed": "Ký số kết quả giải quyết",
    "returned": "Trả kết quả",
    "resend": "Đồng bộ lại hồ sơ",
}


@dataclass(frozen=True)
class ProcedureInfo:
    """What the catalog says of the dossier's procedure: its name, field and result document."""

    code: str
    name: str
    field: str
    result: str


@dataclass(frozen=True)
class Agency:
    """The sending unit: its code at the portal (madonvi) and its name (DonViXuLy)."""

    madonvi: str
    name: str


Link = Callable[[Mapping[str, Any]], str]  # a file's facts -> a URL the portal can fetch


def portal_date(iso: str | None) -> str:
    """An ISO 8601 time as the portal writes it: `yyyyMMddHHmmss`, Vietnam time; "" when unknown."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(VIETNAM).strftime(DATE_FORMAT)


def field_code(field: str) -> str:
    """A stable code for a field (lĩnh vực) named in the catalog: "Hộ tịch" -> "HO_TICH"."""
    return "_".join(fold(field).upper().split()) or "KHAC"


def dossier_record(facts: Mapping[str, Any], procedure: ProcedureInfo, agency: Agency, link: Link) -> dict[str, Any]:
    """One `DongBoHoSoMC` dossier: the whole dossier as the facts tell it, so a repeat changes nothing."""
    files = facts.get("files") or []
    components = [f for f in files if f["role"] == "digitized"]
    status = int(facts.get("legal_status") or 2)
    signed = [f for f in files if f["role"] == "signed_result"]
    results = (signed or [f for f in files if f["role"] == "result"])[-1:] if status >= PROCESSED else []
    personal_id = facts.get("personal_id") or ""
    record: dict[str, Any] = {
        "MaHoSo": facts["code"],
        "MaTTHC": procedure.code,
        "TenTTHC": procedure.name[:500],
        "MaLinhVuc": field_code(procedure.field),
        "TenLinhVuc": procedure.field or "Khác",
        "KenhThucHien": int(facts.get("channel") or 1),
        "ChuHoSo": (facts.get("applicant_name") or UNKNOWN_APPLICANT)[:255],
        "LoaiDoiTuong": 1,
        "SoGiayToChuHoSo": personal_id,
        "TrichYeuHoSo": procedure.name[:1000],
        "NgayTiepNhan": portal_date(facts.get("received_at")),
        "NgayHenTra": portal_date(facts.get("due_at")),
        "TrangThaiHoSo": status,
        "NgayTra": portal_date(facts.get("returned_at")) if status >= RETURNED else "",
        "NgayKetThucXuLy": portal_date(facts.get("finished_at")) if status >= PROCESSED else "",
        "DonViXuLy": agency.name,
        "HoSoCoThanhPhanSoHoa": 1 if components else 0,
        "TaiLieuNop": [{"TepDinhKemId": str(f["id"]), "TenTepDinhKem": f["name"], "MaThanhPhanHoSo": "",
                        "DuongDanTaiTepTin": link(f), "DuocSoHoa": 1, "DuocTaiSuDung": 0,
                        "DuocLayTuKhoDMQG": 0} for f in components],
        "DanhSachGiayToKetQua": [{"TenGiayTo": procedure.result or "Kết quả giải quyết", "GiayToId": str(f["id"]),
                                  "MaThanhPhanHoSo": "", "DuongDanTepTinKetQua": link(f),
                                  "MaGiayToKetQua": ""} for f in results],
    }
    if len(personal_id) == 12 and personal_id.isdigit():
        record["DinhDanhCHS"] = [{"LoaiDinhDanh": 1, "SoDinhDanh": personal_id}]
    return record


def progress_step(facts: Mapping[str, Any], kind: str, agency: Agency, *, actor: str = "sohoa") -> dict[str, Any]:
    """One `CapNhatTienDoHoSoMC` step: what was done to the dossier, by whom, when (the change's time).

    The time is the change's own, not the sending's: sent twice, the step is the same step.
    """
    return {
        "MaHoSo": facts["code"],
        "NguoiXuLy": actor[:50],
        "ChucDanh": "Hệ thống số hóa",
        "ThoiDiemXuLy": portal_date(facts.get("at")),
        "PhongBanXuLy": agency.name[:255],
        "NoiDungXuLy": STEP_TEXT.get(kind, kind),
        "TrangThai": int(facts.get("legal_status") or 2),
        "NgayBatDau": portal_date(facts.get("received_at")),
        "NgayKetThucTheoQuyDinh": portal_date(facts.get("due_at")),
    }
