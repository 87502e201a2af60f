"""Vietnamese first: every string the pages show has a Vietnamese translation in the catalog."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from web.i18n import LOCALES, translations

WEB = Path(__file__).resolve().parents[2] / "web"


def shown_strings() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = extract_from_dir(str(WEB), method_map, keywords={"_": None, "N_": None})
    return {message for _file, _line, message, _comments, _context in found if isinstance(message, str)}


def test_every_shown_string_is_translated_to_vietnamese() -> None:
    with (LOCALES / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = {m.id: m.string for m in read_po(f) if m.id}
    strings = shown_strings()
    assert len(strings) > 150
    assert sorted(s for s in strings if not catalog.get(s)) == []


def test_the_catalogs_load_and_english_is_the_msgid() -> None:
    assert translations("vi").gettext("Search") == "Tra cứu"
    assert translations("vi").gettext("Waiting for classification") == "Chờ phân loại"
    assert translations("en").gettext("Search") == "Search"


def test_the_switch_turns_the_pages_to_english_and_back(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from settings import Settings
    from web.app import create_app

    c = TestClient(create_app(Settings(home=tmp_path / "var")), follow_redirects=False)
    assert "Đăng nhập" in c.get("/login").text
    switched = c.get("/lang/en", params={"next": "/login"})
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    page = c.get("/login").text
    assert "Sign in" in page and "Đăng nhập" not in page and '<html lang="en">' in page
    assert c.get("/lang/en", params={"next": "https://evil.example/"}).headers["location"] == "/"
    c.get("/lang/vi")
    assert "Đăng nhập" in c.get("/login").text
