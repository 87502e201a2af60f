"""The stand-in adapter as a client sees it over real HTTP: checks, answers, faults, both logins."""

from __future__ import annotations

import copy
import functools
import hashlib
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from province.client import AdapterConfig, Credentials, ProvinceClient, Refused, Unreachable
from province.sim import Faults, ProvinceSim, SimConfig
from tests.province.handoff import CREDENTIALS
from tests.province.lifecycle import tiny_pdf


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A folder served over HTTP holding one PDF: (its URL, its SHA-256)."""
    folder = tmp_path / "www"
    folder.mkdir()
    data = tiny_pdf("kết quả")
    (folder / "r.pdf").write_bytes(data)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/r.pdf", hashlib.sha256(data).hexdigest()
    server.shutdown()


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[ProvinceSim]:
    server = ProvinceSim(SimConfig(db=tmp_path / "p.sqlite", credentials=Credentials.parse(CREDENTIALS),
                                   madonvi="H39", faults=Faults(timeout_seconds=1.2, seed=1)))
    server.start()
    yield server
    server.close()


def client(sim: ProvinceSim, **changes: Any) -> ProvinceClient:
    config = AdapterConfig(base_url=sim.url, madonvi="H39", credentials=Credentials.parse(CREDENTIALS), timeout=1)
    for name, value in changes.items():
        object.__setattr__(config, name, value)
    return ProvinceClient(config)


def record(url: str, sha: str, **changes: Any) -> dict[str, Any]:
    base = {"MaHoSo": "H39-260312-0001", "MaTTHC": "1.001193", "TenTTHC": "Đăng ký khai sinh",
            "MaLinhVuc": "HO_TICH", "TenLinhVuc": "Hộ tịch", "KenhThucHien": 1, "ChuHoSo": "TRẦN VĂN PHÚC",
            "LoaiDoiTuong": 1, "SoGiayToChuHoSo": "", "TrichYeuHoSo": "Đăng ký khai sinh",
            "NgayTiepNhan": "20260312093000", "NgayHenTra": "20260313170000", "TrangThaiHoSo": 2, "NgayTra": "",
            "NgayKetThucXuLy": "", "DonViXuLy": "UBND xã", "HoSoCoThanhPhanSoHoa": 1,
            "TaiLieuNop": [{"TepDinhKemId": "3", "TenTepDinhKem": "d.pdf", "MaThanhPhanHoSo": "",
                            "DuongDanTaiTepTin": f"{url}#sha256={sha}", "DuocSoHoa": 1, "DuocTaiSuDung": 0,
                            "DuocLayTuKhoDMQG": 0}],
            "DanhSachGiayToKetQua": []}
    return base | changes


def test_insert_once_then_updates_through_the_allowed_statuses(sim: ProvinceSim, files: tuple[str, str]) -> None:
    url, sha = files
    c = client(sim)
    c.sync([record(url, sha)], updating=False)
    with pytest.raises(Refused) as again:
        c.sync([record(url, sha)], updating=False)
    assert again.value.already_exists and "đã tồn tại" in again.value.message
    c.sync([record(url, sha)], updating=True)  # the same dossier again: no change of state
    c.sync([record(url, sha, TrangThaiHoSo=9, NgayKetThucXuLy="20260313100000")], updating=True)
    with pytest.raises(Refused, match="từ 9 sang 2"):
        c.sync([record(url, sha)], updating=True)
    with pytest.raises(Refused) as missing:
        c.sync([record(url, sha, MaHoSo="H39-260312-0002")], updating=True)
    assert missing.value.missing
    assert sim.statuses() == {"H39-260312-0001": [2, 9]}
    assert sim.query("SELECT sha256 FROM file") == [(sha,)]
    assert c.lookup("H39-260312-0001")["TrangThaiHoSo"] == 9  # type: ignore[index]
    assert c.lookup("H39-260312-0009") is None


@pytest.mark.parametrize(("changes", "message"), [
    ({"NgayTiepNhan": "2026-03-12"}, "NgayTiepNhan '2026-03-12' sai định dạng"),
    ({"NgayHenTra": "20260301000000"}, "NgayHenTra trước NgayTiepNhan"),
    ({"KenhThucHien": 5}, "KenhThucHien '5' không hợp lệ"),
    ({"MaTTHC": "1.001193 khai sinh"}, "MaTTHC"),
    ({"ChuHoSo": ""}, "ChuHoSo trống"),
    ({"TrangThaiHoSo": 10}, "thiếu NgayKetThucXuLy"),
    ({"TaiLieuNop": []}, "HoSoCoThanhPhanSoHoa = 1 nhưng không có tệp"),
])
def test_every_field_is_checked_and_the_message_names_it(sim: ProvinceSim, files: tuple[str, str],
                                                          changes: dict[str, Any], message: str) -> None:
    url, sha = files
    with pytest.raises(Refused, match=message):
        client(sim).sync([record(url, sha, **changes)], updating=False)
    assert sim.statuses() == {}


def test_files_are_downloaded_and_a_wrong_hash_or_a_dead_link_refuses_the_whole_call(
        sim: ProvinceSim, files: tuple[str, str]) -> None:
    url, sha = files
    good = record(url, sha, MaHoSo="H39-260312-0002")
    bad = record(url, "0" * 64)
    with pytest.raises(Refused, match="sai mã SHA-256"):
        client(sim).sync([good, bad], updating=False)
    gone = copy.deepcopy(good)
    gone["TaiLieuNop"][0]["DuongDanTaiTepTin"] = url.replace("r.pdf", "missing.pdf")
    with pytest.raises(Refused, match=r"Không tải được tệp .* HTTP 404"):
        client(sim).sync([gone], updating=False)
    assert sim.statuses() == {}  # all or none


def test_injected_faults_look_like_the_real_thing_to_the_client(sim: ProvinceSim, files: tuple[str, str]) -> None:
    url, sha = files
    c = client(sim)
    sim.config.faults.rate = 1.0
    sim.config.faults.kinds = ("http500",)
    with pytest.raises(Unreachable, match="HTTP 500"):
        c.sync([record(url, sha)], updating=False)
    sim.config.faults.kinds = ("error_code",)
    with pytest.raises(Refused) as busy:
        c.sync([record(url, sha)], updating=False)
    assert busy.value.code == "99"
    sim.config.faults.kinds = ("timeout",)
    with pytest.raises(Unreachable, match="Timeout"):
        c.sync([record(url, sha)], updating=False)
    assert sim.statuses() == {"H39-260312-0001": [2]}  # applied, but the answer came too late
    sim.config.faults.kinds = ("session",)
    sim.config.faults.rate = 0.0
    sim.expire_sessions()
    c.sync([record(url, sha)], updating=True)  # a new login, transparently
    assert c.logins == 2


def test_lgsp_oauth2_client_credentials_and_wrong_secrets(sim: ProvinceSim, files: tuple[str, str]) -> None:
    url, sha = files
    lgsp = client(sim, auth="lgsp")
    lgsp.sync([record(url, sha)], updating=False)
    assert sim.statuses() == {"H39-260312-0001": [2]}
    wrong = client(sim, auth="lgsp", credentials=Credentials(client_id="sohoa", client_secret="nope"))
    with pytest.raises(Refused, match="invalid_client"):
        wrong.sync([record(url, sha)], updating=True)
    with pytest.raises(Refused, match="Sai tên đăng nhập"):
        client(sim, credentials=Credentials(username="sohoa-test", password="sai")).sync([record(url, sha)],
                                                                                        updating=True)
    assert "nope" not in repr(wrong.config) and "mật-khẩu" not in repr(client(sim).config)
