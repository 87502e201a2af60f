"""The catalog: shipped ids stay stable; a province's export imports in bulk, idempotently."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from procedures import CatalogError, import_export, load_catalog
from procedures.catalog import catalog_from_yaml

SHIPPED_IDS = {
    "1.001193", "1.000894", "1.000656", "1.004873", "1.004884", "2.000635", "2.000815", "2.000884",
    "1.004222", "1.004194", "1.003677", "1.001612", "2.000720", "1.000956", "LLTP.CAP-PHIEU", "1.000010",
    "DD.CAP-GCN-LAN-DAU", "DD.DANG-KY-BIEN-DONG", "1.013225", "BTXH.TRO-CAP-HANG-THANG", "1.001699",
}

GOOD_CSV = """Mã thủ tục,Tên thủ tục,Lĩnh vực,Cấp thực hiện,Thời hạn giải quyết,Thành phần hồ sơ,Tên mẫu đơn
1.000894,Đăng ký kết hôn,Hộ tịch,xã,Trong ngày,"Tờ khai đăng ký kết hôn
Giấy tờ tùy thân",TỜ KHAI ĐĂNG KÝ KẾT HÔN
2.001023,Đăng ký hoạt động tín ngưỡng,Tín ngưỡng,xã,30 ngày làm việc,Văn bản đăng ký; Bản kê,
1.009994,Cấp giấy phép sửa chữa nhà ở,Xây dựng,xã,07 ngày làm việc,"Đơn đề nghị cấp giấy phép sửa chữa, cải tạo",
"""


def test_shipped_catalog_keeps_the_reference_ids() -> None:
    catalog = load_catalog()
    assert {p.id for p in catalog} == SHIPPED_IDS
    residence = catalog.get("1.004222")
    assert residence is not None and residence.days == 7 and "CT01" in residence.forms
    assert residence.titles == ("TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ",)


def test_csv_import_with_vietnamese_headers(tmp_path: Path) -> None:
    path = tmp_path / "tthc.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    merged, added, updated = import_export(path, load_catalog())
    assert (added, updated) == (2, 1)
    marriage = merged.get("1.000894")
    assert marriage is not None and marriage.days == 0
    assert marriage.components == ("Tờ khai đăng ký kết hôn", "Giấy tờ tùy thân")
    religion = merged.get("2.001023")
    assert religion is not None and religion.days == 30 and religion.field == "Tín ngưỡng"
    assert religion.components == ("Văn bản đăng ký", "Bản kê")


def test_code_of_a_shipped_procedure_keeps_its_id(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps([{"code": "1.001193", "name": "Đăng ký khai sinh", "days": 0}]), encoding="utf-8")
    merged, added, _ = import_export(path, load_catalog())
    assert added == 0 and "1.001193" in merged


def test_malformed_rows_are_reported_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "code,name,days,components\n"
        '1.000001,Thủ tục một,3,"Đơn\nGiấy tờ"\n'       # a cell over two lines: lines 2-3
        ",Thủ tục không mã,3,\n"                          # line 4: no code
        "1.000003,Thủ tục ba,ba ngày,\n"                  # line 5: days unreadable
        "1.000004,,2,\n",                                 # line 6: no name
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as caught:
        import_export(path, load_catalog())
    assert [line for line, _ in caught.value.problems] == [4, 5, 6]
    assert "line 5" in str(caught.value) and "days" in str(caught.value)


def test_malformed_json_rows_are_reported_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n  {"code": "1.1", "name": "A", "days": 1},\n  {"code": "1.2", "days": 2},\n  "x"\n]\n',
                    encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        import_export(path, load_catalog())
    assert [line for line, _ in caught.value.problems] == [3, 4]


def test_reimport_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "tthc.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    once, _, _ = import_export(path, load_catalog())
    saved = tmp_path / "catalog.yaml"
    saved.write_text(once.to_yaml(), encoding="utf-8")
    again, added, updated = import_export(path, load_catalog(saved))
    assert (added, updated) == (0, 0)
    assert again.to_yaml() == once.to_yaml()


def test_thousands_of_entries_import_quickly(tmp_path: Path) -> None:
    rows = [{"code": f"9.{i:06d}", "name": f"Thủ tục số {i}", "field": "Thử", "level": "tỉnh",
             "processing days": i % 30, "dossier components": ["Đơn đề nghị", "Bản sao giấy tờ"],
             "form titles": [f"ĐƠN ĐỀ NGHỊ THỦ TỤC SỐ {i}"]} for i in range(3000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"procedures": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
    started = time.monotonic()
    merged, added, _ = import_export(path, load_catalog())
    assert added == 3000 and len(merged) == 3021
    assert time.monotonic() - started < 5


def test_bad_yaml_catalog_lists_entries() -> None:
    with pytest.raises(CatalogError) as caught:
        catalog_from_yaml("procedures:\n  - {id: a}\n  - {name: b}\n  - {id: c, name: C, days: -1}\n")
    assert [line for line, _ in caught.value.problems] == [1, 2, 3]


PORTAL_ROWS = [
    ("code", "name", "field", "level", "days", "components", "forms", "result"),
    ("1.000894", "Thủ tục đăng ký kết hôn", "Hộ tịch", "Cấp xã", "1",
     "Tờ khai đăng ký kết hôn theo mẫu (nếu người có yêu cầu lựa chọn nộp hồ sơ trực tiếp) | Giấy tờ tùy thân",
     "Tờ khai đăng ký kết hôn theo mẫu (nếu người có yêu cầu lựa chọn nộp hồ sơ trực tiếp)",
     "Giấy chứng nhận kết hôn"),
    ("9.000001", "Thủ tục cấp giấy phép thử", "Thử", "Cấp tỉnh", "5",
     "01 bản chính đơn theo Mẫu số 02/TH ban hành kèm theo Thông tư 01 “ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP THỬ NGHIỆM”",
     "", "Giấy phép"),
    ("9.000002", "Đổi giấy phép lái xe", "Đường bộ", "Cấp bộ", "5",
     "Đề nghị đổi giấy phép lái xe theo mẫu quy định tại Phụ lục XII", "", "Giấy phép lái xe"),
]


def test_portal_sentences_become_titles_and_curated_entries_stay(tmp_path: Path) -> None:
    import csv

    path = tmp_path / "portal.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(PORTAL_ROWS)
    from procedures.importer import import_report

    report = import_report(path, load_catalog())
    marriage = report.catalog.get("1.000894")
    assert marriage.name == "Đăng ký kết hôn"  # the curated name, not "Thủ tục ..."
    assert marriage.titles[0] == "TỜ KHAI ĐĂNG KÝ KẾT HÔN"
    assert all("nếu" not in title for title in marriage.titles)
    trial = report.catalog.get("9.000001")
    assert trial.name == "Cấp giấy phép thử" and trial.titles == ("ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP THỬ NGHIỆM",)
    assert "Mẫu số 02/TH" in trial.forms
    assert report.duplicates == [("9.000002", "1.000010")]
    again = import_report(path, report.catalog)
    assert (again.added, again.updated) == (0, 0)
