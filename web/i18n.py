"""Vietnamese first, English by a switch: gettext catalogs read with Babel at start-up.

The catalogs are the `.po` files under `web/locale/` (msgids in English); they are compiled in
memory when the app starts, so there is no build step and no `.mo` file to forget.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).with_name("locale")
LANGUAGES = ("vi", "en")
DEFAULT = "vi"


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> NullTranslations:
    """The catalog of `language` (one of LANGUAGES), compiled once."""
    po = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def pick(cookie: str | None) -> str:
    return cookie if cookie in LANGUAGES else DEFAULT
