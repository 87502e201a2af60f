"""Rendering a page: the template gets the language's gettext, the visitor, the CSRF token and the
Vietnam clock; Jinja2 escapes every value (OCR text included) unless a template says otherwise."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from sohoa.timezone import local
from storage.snippet import MARK_CLOSE, MARK_OPEN
from storage.vocabulary import DossierState
from web.auth import LANG_COOKIE
from web.context import web_of
from web.i18n import pick, translations
from web.labels import EVENT, LEGAL_STATUS, ROLE, SIGNER_ROLE, STATE

PER_PAGE = 20


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    language = pick(request.cookies.get(LANG_COOKIE))
    gettext = translations(language).gettext
    context |= {
        "_": gettext, "lang": language, "visitor": getattr(request.state, "visitor", None),
        "DossierState": DossierState,
        "csrf": getattr(request.state, "csrf", ""), "local": local, "state_label": lambda s: gettext(STATE.get(s) or s),
        "legal_label": lambda n: gettext(LEGAL_STATUS.get(n, str(n))), "highlight": highlight,
        "mark_unsure": mark_unsure,
        "role_label": lambda r: gettext(ROLE.get(r) or r), "event_label": lambda a: gettext(EVENT.get(a) or a),
        "signer_label": lambda r: gettext(SIGNER_ROLE.get(r) or r),
    }
    return web_of(request).templates.TemplateResponse(request, template, context, status_code=status)


def gettext_for(request: Request) -> Any:
    return translations(pick(request.cookies.get(LANG_COOKIE))).gettext


def highlight(snippet: str) -> Markup:
    """A search snippet as HTML: the text escaped (OCR may read `<script>`), only the marks kept."""
    out = []
    for i, part in enumerate(snippet.split(MARK_OPEN)):
        if i == 0:
            out.append(escape(part))
            continue
        marked, _, rest = part.partition(MARK_CLOSE)
        out.append(Markup("<mark>") + escape(marked) + Markup("</mark>") + escape(rest))
    return Markup("").join(out)


_SPACES = re.compile(r"(\s+)")


def mark_unsure(text: str, unsure: Iterable[str] | None, title: str) -> Markup:
    """A page's OCR text as HTML, each word OCR was unsure of in `<mark class="unsure">`, the rest escaped.

    Words are matched by spelling, so every occurrence of an unsure spelling on the page is marked:
    a word worth checking once is worth checking wherever it was read.
    """
    words = set(unsure or ())
    if not words:
        return escape(text)
    opening = Markup('<mark class="unsure" title="{}">').format(title)
    return Markup("").join(opening + escape(part) + Markup("</mark>") if part in words else escape(part)
                           for part in _SPACES.split(text))
