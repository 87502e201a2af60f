"""Kết quả: the clerk attaches a result by upload with the rules of `sohoa result add` (refusals in
Vietnamese, the English detail beside them) and cannot record a hand-back before it is signed."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings import Settings
from storage.accounts import Accounts, Role
from tests.conftest import BIRTH_FORM, save_scan
from tests.web.conftest import AGENCY_A, AGENCY_B, PASSWORD, Site, signed_in
from workers.results import assign
from workers.services import Services

CODE, CODE_B = "H39.01-260804-0009", "H39.02-260804-0009"


@pytest.fixture
def site(tmp_path: Path) -> Site:
    services = Services(Settings(home=tmp_path / "var"))
    Accounts(services.register).add_user("van.thu", Role.CLERK, (AGENCY_A,), PASSWORD, full_name="Văn thư")
    site = Site(services.settings, services)
    for code, agency in ((CODE, AGENCY_A), (CODE_B, AGENCY_B)):
        dossier = services.register.create_dossier(fingerprint=code.encode().hex().ljust(64, "0")[:64],
                                                   source_name="ho-so.pdf", agency=agency, code=code,
                                                   station=None, actor="test")
        services.register.update(dossier.id, procedure_id="1.001193", procedure_source="reviewer",
                                 state="digitized")
        site.dossiers[code] = dossier.id
    return site


def test_the_clerk_attaches_a_result_and_bad_files_are_refused_with_their_reason(site: Site, tmp_path: Path) -> None:
    pdf = save_scan(tmp_path / "ket-qua.pdf", [BIRTH_FORM], dpi=100).read_bytes()
    clerk, csrf = signed_in(site, "van.thu")

    def upload(code: str, name: str, data: bytes):
        return clerk.post("/results", data={"csrf": csrf, "code": code},
                          files={"file": (name, data, "application/pdf")})

    unassigned = upload(CODE, "ket-qua.pdf", pdf)
    assert unassigned.status_code == 422 and "Chưa phân công người ký" in unassigned.text
    assert "nobody is assigned to role" in unassigned.text  # the English detail, as `sohoa result add` says it
    assign("lanh_dao_ubnd_xa", "chu.tich", site.services, "test")
    assign("van_thu", "van.thu", site.services, "test")

    broken = upload(CODE, "ket-qua.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n")  # cut off mid-file
    assert broken.status_code == 422 and "Tệp không phải PDF đọc được" in broken.text
    assert upload(CODE_B, "ket-qua.pdf", pdf).status_code == 404  # another commune's dossier
    assert site.services.register.signing_tasks(site.dossiers[CODE]) == []

    accepted = upload(CODE, "ket-qua.pdf", pdf)
    assert accepted.status_code == 200, accepted.text
    assert f"Đã đính kèm kết quả cho hồ sơ {CODE}: mở 2 bước ký (lanh_dao_ubnd_xa, van_thu)." in accepted.text
    tasks = site.services.register.signing_tasks(site.dossiers[CODE])
    assert [(t.role, t.state) for t in tasks] == [("lanh_dao_ubnd_xa", "waiting"), ("van_thu", "waiting")]
    assert "không có gì thay đổi" in upload(CODE, "lan-hai.pdf", pdf).text  # the same PDF again
    assert clerk.post("/results", data={"code": CODE}, files={"file": ("x.pdf", pdf)}).status_code == 403  # no CSRF

    early = clerk.post(f"/results/{site.dossiers[CODE]}/returned", data={"csrf": csrf})
    assert early.status_code == 409 and "chưa trả kết quả được" in early.text
    dossier = site.services.register.get(site.dossiers[CODE])
    assert dossier is not None and dossier.legal_status != 10 and dossier.returned_at is None
    assert clerk.post(f"/results/{site.dossiers[CODE_B]}/returned", data={"csrf": csrf}).status_code == 404
