"""The doors: no session, wrong role, another agency, missing CSRF, hostile text and keys, brute force."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from storage.accounts import Accounts, Role
from storage.audit import Audit
from tests.web.conftest import AGENCY_A, CODE_A, CODE_B, PASSWORD, Site, client, reindex, signed_in
from web import admin, api, dossier, kiosk, login, review, search

pytestmark = pytest.mark.slow  # the site is OCRed once per module
PUBLIC = {"/login", "/kiosk", "/lang/{language}", "/api/docs", "/api/openapi.json"}


def test_every_route_needs_a_session_pages_redirect_and_the_api_says_401(site: Site) -> None:
    c = client(site)
    routes = [r for module in (login, search, dossier, review, admin, kiosk, api) for r in module.router.routes
              if isinstance(r, APIRoute) and r.path not in PUBLIC]
    assert len(routes) > 20
    for route in routes:
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in route.methods:
            answer = c.request(method, path)
            if path.startswith("/api/"):
                assert answer.status_code == 401, (method, path)
                assert answer.json()["code"] == "not_signed_in" and answer.json()["message_vi"]
            else:
                assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), (method, path)


def test_a_role_opens_only_its_own_pages(site: Site) -> None:
    archivist, _ = signed_in(site, "luu.tru")
    reviewer, _ = signed_in(site, "phan.loai")
    for path in ("/admin", "/admin/audit", "/admin/accounts", "/review"):
        assert archivist.get(path).status_code == 403, path
    assert "Không được phép" in archivist.get("/admin").text
    assert reviewer.get("/search", params={"q": "ket hon"}).status_code == 403
    assert reviewer.get("/api/v1/search", params={"q": "ket hon"}).status_code == 403
    _, token = Accounts(site.services.register).add_token("tram-doc", AGENCY_A)
    station = client(site)
    station.headers["Authorization"] = f"Bearer {token}"
    assert station.get("/api/v1/search", params={"q": "ket hon"}).status_code == 403
    assert station.get("/search").status_code == 303  # a token is no session for the pages


def test_another_agencys_dossier_is_not_found_by_id_code_page_file_or_search(site: Site) -> None:
    other, _ = signed_in(site, "luu.tru.b")
    a = site.dossiers[CODE_A]
    file_id = site.services.register.files(a, "original")[0].id
    unknown = other.get("/dossiers/999999")
    for path in (f"/dossiers/{a}", f"/dossiers/by-code/{CODE_A}", f"/dossiers/{a}/pages/1",
                 f"/dossiers/{a}/pages/1/image", f"/dossiers/{a}/files/{file_id}", f"/api/v1/dossiers/{a}",
                 f"/api/v1/dossiers?code={CODE_A}"):
        answer = other.get(path)
        assert answer.status_code == 404, path
        assert CODE_A not in answer.text.split('<main id="main">')[-1]  # (the language link echoes the address)
    # nothing tells a foreign dossier from none (but the page's own address in the language link)
    assert other.get(f"/dossiers/{a}").text == unknown.text.replace("/dossiers/999999", f"/dossiers/{a}")
    assert CODE_A not in other.get("/search", params={"q": "ket hon"}).text
    assert other.get("/api/v1/search", params={"q": "ket hon"}).json() == []
    own = other.get("/search", params={"q": "khai sinh"}).text
    assert CODE_B in own


def test_forms_without_the_sessions_csrf_token_are_refused(site: Site) -> None:
    reviewer, csrf = signed_in(site, "phan.loai")
    dossier = site.dossiers[CODE_A]
    assert reviewer.post(f"/review/{dossier}", data={"procedure": "1.000894"}).status_code == 403
    assert reviewer.post(f"/review/{dossier}", data={"procedure": "1.000894", "csrf": "x" + csrf}).status_code == 403
    assert reviewer.post("/logout").status_code == 403
    assert reviewer.get("/review").status_code == 200  # still signed in
    admin, csrf = signed_in(site, "quan.tri")
    assert admin.post("/admin/users", data={"username": "ke.gian", "role": "admin", "password": PASSWORD}
                      ).status_code == 403
    assert "ke.gian" not in [u.username for u in Accounts(site.services.register).users()]
    fresh = client(site)
    assert fresh.post("/login", data={"username": "quan.tri", "password": PASSWORD}).status_code == 403


def test_ocr_text_holding_a_script_is_shown_as_text(site: Site) -> None:
    register = site.services.register
    a = site.dossiers[CODE_A]
    pages = register.pages(a)
    hostile = '<script>alert("x")</script> <img src=x onerror=alert(1)> KẾT HÔN'
    register.replace_pages(a, [{"number": p.number, "text": hostile, "confidence": p.confidence} for p in pages])
    reindex(site, a)
    archivist, _ = signed_in(site, "luu.tru")
    for html in (archivist.get(f"/dossiers/{a}/pages/1").text, archivist.get("/search", params={"q": "alert"}).text):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html
    page = archivist.get(f"/dossiers/{a}/pages/1")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    register.replace_pages(a, [{"number": p.number, "text": hostile, "confidence": p.confidence,
                                "unsure_words": ['<script>alert("x")</script>', "HÔN"]} for p in pages])
    marked = archivist.get(f"/dossiers/{a}/pages/1").text  # an unsure word is marked, still escaped
    assert '<mark class="unsure" title="Khó đọc">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</mark>' in marked
    assert '<mark class="unsure" title="Khó đọc">HÔN</mark>' in marked and "KẾT HÔN" not in marked
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)  # no inline script anywhere


def test_a_download_cannot_leave_the_object_store(site: Site) -> None:
    register = site.services.register
    a = site.dossiers[CODE_A]
    archivist, _ = signed_in(site, "luu.tru")
    for key in ("../../../../etc/passwd", f"{AGENCY_A}/../../sohoa.db", "/etc/passwd"):
        file = register.add_file(a, role="result", name="passwd", object_key=key, sha256="0" * 64, size=1,
                                 media_type="text/plain")
        answer = archivist.get(f"/dossiers/{a}/files/{file.id}")
        assert answer.status_code == 404, key
        assert "root:" not in answer.text and "SQLite" not in answer.text


def test_guessing_passwords_locks_the_account_and_is_logged(site: Site) -> None:
    Accounts(site.services.register).add_user("thu.sai", Role.ARCHIVIST, (AGENCY_A,), PASSWORD)
    c = client(site)

    def attempt(password: str) -> int:
        csrf = c.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
        return c.post("/login", data={"username": "thu.sai", "password": password, "csrf": csrf}).status_code

    assert [attempt(f"doan-sai-{i}-lan") for i in range(site.settings.login_max_failures)] == [401] * 5
    assert attempt(PASSWORD) == 401  # the right password no longer opens it
    csrf = c.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    locked = c.post("/login", data={"username": "thu.sai", "password": PASSWORD, "csrf": csrf})
    assert "bị khóa" in locked.text
    actions = [r["action"] for r in Audit(site.services.register).rows() if r["actor"] == "thu.sai"]
    assert actions.count("login_failed") >= 4 and "locked" in actions
    assert all(PASSWORD not in str(r) and "doan-sai" not in str(r) for r in Audit(site.services.register).rows())


def test_session_cookie_and_redirects(site: Site) -> None:
    c = client(site)
    csrf = c.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    answer = c.post("/login", data={"username": "luu.tru", "password": PASSWORD, "csrf": csrf,
                                    "next": "//evil.example/phish"})
    assert answer.headers["location"] == "/search"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    secure = site.settings.model_copy(update={"web_secure_cookies": True})
    s = client(site)
    s.app.state.web.services = type(site.services)(secure)
    s.app.state.web.services.__dict__["register"] = site.services.register
    csrf = s.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    assert "secure" in s.post("/login", data={"username": "luu.tru", "password": PASSWORD, "csrf": csrf}
                              ).headers["set-cookie"].lower()


def test_kiosk_is_rate_limited_and_shows_nothing_personal(site: Site) -> None:
    c = client(site)
    shown = c.get("/kiosk", params={"code": CODE_A})
    assert shown.status_code == 200 and CODE_A in shown.text
    dossier = site.services.register.get(site.dossiers[CODE_A])
    assert all(v not in shown.text for v in (dossier.fields or {}).values() if isinstance(v, str) and v)
    answers = [c.get("/kiosk", params={"code": f"H39.01-260105-{n:04d}"}).status_code
               for n in range(site.settings.kiosk_per_minute)]
    assert answers[-1] == 429 and "đợi một phút" in c.get("/kiosk", params={"code": CODE_A}).text


def test_every_read_left_an_intact_chain(site: Site) -> None:
    archivist, _ = signed_in(site, "luu.tru")
    archivist.get(f"/dossiers/{site.dossiers[CODE_A]}")
    check = Audit(site.services.register).verify()
    assert check.ok and check.rows > 5


def test_many_clerks_behind_one_address_all_sign_in(site: Site) -> None:
    """Only wrong passwords count against an address: a counter's clerks share one behind NAT."""
    for _ in range(40):
        signed_in(site, "can.bo")


def test_the_search_form_lists_every_procedure_and_keeps_the_chosen_one(site: Site) -> None:
    from workers.catalog import current_catalog

    catalog = list(current_catalog(site.services.settings))
    chosen = catalog[len(catalog) // 2]
    archivist, _ = signed_in(site, "luu.tru")
    html = archivist.get("/search", params={"q": "ket hon", "procedure": chosen.id}).text
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html.split('name="procedure"')[1]
                         .split("</select>")[0])
    assert options[0][0] == ""  # "all procedures" first
    assert [(v, n) for v, _, n in options[1:]] == sorted(((p.id, p.name) for p in catalog), key=lambda o: o[1])
    assert [v for v, selected, _ in options if selected] == [chosen.id]
