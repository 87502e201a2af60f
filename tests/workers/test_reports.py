"""`sohoa report` against a register built by hand: every figure of Biểu 06 and the 766 indicators.

Nine dossiers of two agencies are placed on purpose around the period (March 2026, Vietnam time):
received online, at the counter, by post, carried over from February, finished before the period,
received after it; resolved early, on time (on the due day), late; in progress within time and
past due; one without a digitized copy; two handed to the stand-in province.
"""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from sohoa.cli import app_for
from tests.province.handoff import Handoff, handoff
from tests.province.lifecycle import Lifecycle, at
from workers.reports import build as build_report
from workers.reports import period_of, plots_svg
from workers.sync import SyncWorker

__all__ = ["handoff"]
HO_TICH, CHUNG_THUC, CU_TRU = "1.001193", "2.000815", "1.004222"




def build(h: Handoff) -> None:
    a, b = h.life, Lifecycle(h.services, agency="000.00.22.H39")
    a.through(1, HO_TICH, 2, "03-02", at("03-05", 17), at("03-04", 10), returned=True)  # online, early
    a.through(2, HO_TICH, 1, "03-02", at("03-05", 17), at("03-05", 16), returned=True)  # counter, on time (the due day)
    SyncWorker(h.services).drain()  # these two reach the province; the others are not sent
    a.through(3, HO_TICH, 3, "03-03", at("03-04", 17), at("03-06", 10), digitized=False, returned=True)  # by post, late
    a.through(4, CHUNG_THUC, 1, "02-25", at("03-03", 17), at("03-02", 10), returned=True)  # carried over, early
    a.through(5, CHUNG_THUC, 1, "02-20", at("02-24", 17), at("02-23", 10), returned=True)  # finished before March: out
    a.through(6, CHUNG_THUC, 1, "03-20", at("03-25", 17), returned=True)  # in progress, past due
    a.through(7, HO_TICH, 2, "03-30", at("04-03", 17), returned=True)  # in progress, within time
    a.through(8, HO_TICH, 1, "04-02", at("04-06", 17), returned=True)  # received after March: out
    b.through(9, CU_TRU, 1, "03-10", at("03-12", 17), at("03-12", 10), returned=True)  # other agency, on time


def counts(received: int, online: int, direct: int, carried: int, resolved: int, early: int, on_time: int,
           late: int, in_progress: int, within: int, past: int) -> dict[str, int]:
    return {"received": received, "online": online, "direct_or_post": direct, "carried_over": carried,
            "resolved": resolved, "early": early, "on_time": on_time, "late": late, "in_progress": in_progress,
            "within_time": within, "past_due": past}


def report(*args: str) -> str:
    result = CliRunner().invoke(app_for(["report"]), ["report", "--from", "2026-03-01", "--to", "2026-03-31", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_bieu_06_and_the_766_indicators_match_the_register_built_by_hand(handoff: Handoff, tmp_path: Path) -> None:
    build(handoff)
    data = json.loads(report("--format", "json"))
    agencies = {t["agency"]: t for t in data["bieu_06"]}
    assert agencies["000.00.21.H39"]["fields"] == {
        "Chứng thực": counts(2, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1),
        "Hộ tịch": counts(4, 2, 2, 0, 3, 1, 1, 1, 1, 1, 0)}
    assert agencies["000.00.21.H39"]["total"] == counts(6, 2, 3, 1, 4, 2, 1, 1, 2, 1, 1)
    assert agencies["000.00.22.H39"]["fields"] == {"Cư trú": counts(1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0)}
    assert data["total"] == counts(7, 2, 4, 1, 5, 2, 2, 1, 2, 1, 1)
    assert data["indicators_766"] == {
        "received": 6, "synced": 2, "resolved": 5, "electronic_results": 5, "digitized": 4, "on_time": 4,
        "synced_share_1_4": 0.3333, "electronic_results_share_4_1": 1.0, "digitized_share_4_2": 0.8,
        "on_time_rate": 0.8, "digitized_full_marks_4_2": True}

    only_b = json.loads(report("--format", "json", "--agency", "000.00.22.H39"))
    assert only_b["total"]["received"] == 1 and [t["agency"] for t in only_b["bieu_06"]] == ["000.00.22.H39"]

    markdown = report("--format", "md")
    assert "| 1 | Chứng thực | 2 | 0 | 1 | 1 | 1 | 1 | 0 | 0 | 1 | 0 | 1 |" in markdown
    assert "| 4.2 Hồ sơ số hóa (thành phần và kết quả) | 80.0% | 4/5" in markdown
    assert report("--format", "csv").splitlines()[0].startswith("STT,Lĩnh vực,Tổng số tiếp nhận,Trực tuyến")

    out, pictures = tmp_path / "bieu06.xlsx", tmp_path / "plots"
    report("--format", "xlsx", "--out", str(out), "--plots", str(pictures))
    book = load_workbook(out)
    rows = [[c.value for c in row] for row in book["Biểu 06"].iter_rows()]
    assert rows[-1] == [None, "TỔNG CỘNG", 7, 2, 4, 1, 5, 2, 2, 1, 2, 1, 1]
    assert [r[1:] for r in book["Chỉ số 766"].iter_rows(min_row=2, values_only=True)][2] == (0.8, 4, 5)
    for name in ("received-digitized", "on-time"):
        png = (pictures / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 20_000


def test_the_admin_page_gets_the_same_pictures_as_svg(handoff: Handoff) -> None:
    build(handoff)
    from datetime import date

    svgs = plots_svg(build_report(handoff.services, period_of(date(2026, 3, 1), date(2026, 3, 31))))
    assert set(svgs) == {"received-digitized", "on-time"}
    assert all(s.lstrip().startswith("<?xml") and "<svg" in s for s in svgs.values())


def test_bad_report_arguments_say_what_to_do_in_english_and_vietnamese(handoff: Handoff) -> None:
    runner = CliRunner()
    for args, words in ((["--format", "pdf"], "định dạng không hỗ trợ"), (["--from", "31/03/2026"], "YYYY-MM-DD"),
                        (["--from", "2026-03-31", "--to", "2026-03-01"], "ngày kết thúc trước ngày bắt đầu"),
                        (["--format", "xlsx"], "cần --out")):
        result = runner.invoke(app_for(["report"]), ["report", *args])
        assert result.exit_code == 1 and words in result.output and "Traceback" not in result.output
    missing = runner.invoke(app_for(["sync"]), ["sync", "resend", "H39-999"])
    assert missing.exit_code == 1 and "không có hồ sơ" in missing.output
