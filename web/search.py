"""Tra cứu: one search box for archivists, diacritics optional, filters, pages of results.

The ranking is `sohoa search`'s (`storage.search`); the agency filter is the visitor's scope, in
the SQL. Every search is an audit row with the ids of the dossiers it showed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape

from sohoa.timezone import VIETNAM
from storage.audit import AuditAction
from storage.search import SearchFilters
from storage.vocabulary import DossierState
from vntext import fold
from web.auth import Permission, Visitor, require
from web.context import Web, web_of
from web.render import PER_PAGE, render
from workers.catalog import current_catalog

if TYPE_CHECKING:
    from procedures.catalog import Catalog

router = APIRouter(include_in_schema=False)
MAX_PAGE = 50


@dataclass(frozen=True)
class CatalogChoices:
    """What the search form lists from a catalog: worked out once per catalog version, not per
    request (a province's catalog export has up to ~1,500 procedures, one `<option>` each)."""

    procedures: tuple[tuple[str, str, str], ...]  # (id, id and name HTML-escaped), by name
    fields: tuple[str, ...]

    def procedure_options(self, chosen: str) -> Markup:
        """The procedure `<option>`s, `chosen` selected; every value was escaped once."""
        return Markup("".join(f'<option value="{value}"{" selected" if pid == chosen else ""}>{name}</option>'
                              for pid, value, name in self.procedures))


_choices: dict[int, tuple[Catalog, CatalogChoices]] = {}


def choices_of(catalog: Catalog) -> CatalogChoices:
    """The form's lists for `catalog` (current_catalog hands out one object per catalog version)."""
    held = _choices.get(id(catalog))
    if held is None or held[0] is not catalog:
        ranked = sorted(catalog, key=lambda p: p.name)
        choices = CatalogChoices(tuple((p.id, str(escape(p.id)), str(escape(p.name))) for p in ranked),
                                 tuple(sorted({p.field for p in catalog})))
        if len(_choices) >= 4:
            _choices.clear()
        held = _choices[id(catalog)] = (catalog, choices)
    return held[1]


def day(value: str) -> datetime | None:
    """A YYYY-MM-DD day as its first moment in Vietnam; anything else is no filter."""
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=VIETNAM)
    except ValueError:
        return None


def state_of(value: str) -> DossierState | None:
    """The state a filter names; anything else (empty, or typed by hand) is no filter."""
    try:
        return DossierState(value)
    except ValueError:
        return None


def filters_for(web: Web, visitor: Visitor, *, procedure: str, field: str, state: str, received_from: str,
                received_to: str, timeliness: str, agency: str) -> SearchFilters | None:
    """The filters of a search within the visitor's scope; None when the scope is empty."""
    scope = visitor.scope.agencies
    if scope is None:
        agencies: tuple[str, ...] = (agency,) if agency else ()
    else:
        agencies = (agency,) if agency in scope else scope
        if not agencies:
            return None
    in_field: tuple[str, ...] = ()
    if field:
        wanted = fold(field).lower()
        in_field = tuple(p.id for p in current_catalog(web.services.settings) if fold(p.field).lower() == wanted)
        in_field = in_field or ("-",)
    until = day(received_to)
    return SearchFilters(procedure=procedure or None, procedures=in_field, state=state_of(state),
                         received_from=day(received_from), received_to=until + timedelta(days=1) if until else None,
                         late={"late": True, "on_time": False}.get(timeliness), agencies=agencies)


@router.get("/search")
def search_page(
    request: Request,
    q: str = Query("", max_length=300),
    procedure: str = "",
    field: str = "",
    state: str = "",
    received_from: str = Query("", alias="from"),
    received_to: str = Query("", alias="to"),
    timeliness: str = "",
    agency: str = "",
    page: int = Query(1, ge=1, le=MAX_PAGE),
    visitor: Visitor = Depends(require(Permission.SEARCH)),
) -> Response:
    web = web_of(request)
    catalog = current_catalog(web.services.settings)
    chosen = {"q": q, "procedure": procedure, "field": field, "state": state, "from": received_from,
              "to": received_to, "timeliness": timeliness, "agency": agency}
    hits, more, rows = [], False, {}
    if q.strip():
        filters = filters_for(web, visitor, procedure=procedure, field=field, state=state,
                              received_from=received_from, received_to=received_to, timeliness=timeliness,
                              agency=agency)
        offset = (page - 1) * PER_PAGE
        found = web.services.register.search(q, filters=filters, limit=offset + PER_PAGE + 1) if filters else []
        hits, more = found[offset:offset + PER_PAGE], len(found) > offset + PER_PAGE
        rows = web.queries.summaries([h.dossier_id for h in hits], visitor.scope)
        web.audit.append(visitor.entry(AuditAction.SEARCH, tuple(h.dossier_id for h in hits),
                                       purpose=procedure or None, query=q,
                                       filters={k: v for k, v in chosen.items() if v and k != "q"}, page=page))
    agencies = (web.accounts.agencies() if visitor.scope.agencies is None
                else [(a, a) for a in visitor.scope.agencies])
    choices = choices_of(catalog)
    base = {k: v for k, v in chosen.items() if v}
    return render(request, "search.html", hits=hits, rows=rows, more=more, page=page, chosen=chosen,
                  first=(page - 1) * PER_PAGE + 1, procedure_options=choices.procedure_options(procedure),
                  catalog=catalog.procedures, fields=choices.fields, states=list(DossierState), agencies=agencies,
                  saved=web.queries.saved_searches(visitor.principal.user_id),
                  page_link=lambda n: "/search?" + urlencode(base | {"page": n}))


@router.post("/search/saved")
def save_search(request: Request, name: str = Form(..., max_length=128), query: str = Form(..., max_length=2000),
                visitor: Visitor = Depends(require(Permission.SEARCH))) -> Response:
    """Keep the current search (its query string) under a name, for this person only."""
    web = web_of(request)
    web.queries.save_search(visitor.principal.user_id, name.strip() or query[:40], query.lstrip("?"), {})
    return RedirectResponse("/search?" + query.lstrip("?"), status_code=303)


@router.post("/search/saved/{search_id}/delete")
def delete_saved_search(request: Request, search_id: int,
                        visitor: Visitor = Depends(require(Permission.SEARCH))) -> Response:
    web_of(request).queries.delete_saved_search(visitor.principal.user_id, search_id)
    return RedirectResponse("/search", status_code=303)
