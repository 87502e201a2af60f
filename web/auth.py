"""Who is asking, and may they: sessions, station tokens, roles, CSRF.

Pages answer a visitor without a session with a redirect to the login page, the API with 401; a
signed-in person whose role does not allow a page gets 403. Scoping to agencies is not decided
here but in SQL (`storage.queries`), so a dossier of another agency is a 404.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from fastapi import Depends, Request

from storage.accounts import Principal, Role
from storage.audit import AuditAction, AuditEntry
from storage.queries import Scope
from web.context import web_of

SESSION_COOKIE = "sohoa_session"
LANG_COOKIE = "sohoa_lang"


class Permission(StrEnum):
    SEARCH = "search"
    VIEW = "view"
    EXPORT = "export"
    REVIEW = "review"
    ADMIN = "admin"
    UPLOAD = "upload"
    SIGN = "sign"  # the Ký số page: sign with one's own token (officials), seal (clerks)
    SEAL = "seal"  # the agency's seal, applied by the server
    RESULTS = "results"  # the Kết quả page: attach results, record that they were handed back


ALLOWED: dict[Permission, frozenset[Role]] = {
    Permission.SEARCH: frozenset({Role.ARCHIVIST, Role.OFFICIAL, Role.CLERK, Role.ADMIN}),
    Permission.VIEW: frozenset({Role.ARCHIVIST, Role.REVIEWER, Role.OFFICIAL, Role.CLERK, Role.ADMIN}),
    Permission.EXPORT: frozenset({Role.ARCHIVIST, Role.ADMIN}),  # archive packages (E-ARK SIP) hold personal data
    Permission.REVIEW: frozenset({Role.REVIEWER, Role.ADMIN}),
    Permission.ADMIN: frozenset({Role.ADMIN}),
    Permission.UPLOAD: frozenset({Role.STATION}),
    Permission.SIGN: frozenset({Role.OFFICIAL, Role.CLERK, Role.ADMIN}),
    Permission.SEAL: frozenset({Role.CLERK, Role.ADMIN}),
    Permission.RESULTS: frozenset({Role.CLERK, Role.ADMIN}),
}


class NotSignedIn(Exception):
    """No valid session or token: pages redirect to the login page, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but the role does not allow this: 403."""


class BadCsrf(Exception):
    """A form or API write without the session's CSRF token: 403."""


@dataclass(frozen=True)
class Visitor:
    principal: Principal
    csrf: str  # "" for a station token: bearer tokens are not sent by browsers on their own
    ip: str | None

    @property
    def scope(self) -> Scope:
        p = self.principal
        return Scope(None if p.all_agencies else p.agencies)

    def may(self, permission: Permission) -> bool:
        return self.principal.role in ALLOWED[permission]

    def entry(self, action: AuditAction, dossiers: tuple[int, ...] = (), purpose: str | None = None,
              **detail: object) -> AuditEntry:
        """An audit row about this visitor."""
        p = self.principal
        return AuditEntry(actor=p.username, role=p.role.value, agency=p.agency_label, action=action,
                          dossiers=dossiers, purpose=purpose, ip=self.ip, detail=dict(detail))


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_visitor(request: Request) -> Visitor:
    """The session's person, or the station of a bearer token (API only)."""
    web = web_of(request)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and request.url.path.startswith("/api/"):
        principal = web.accounts.token_principal(auth[7:].strip())
        if principal is None:
            raise NotSignedIn
        return Visitor(principal, "", client_ip(request))
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        found = web.accounts.session(token, idle_minutes=web.services.settings.session_idle_minutes)
        if found is not None:
            principal, csrf = found
            request.state.csrf = csrf
            request.state.visitor = Visitor(principal, csrf, client_ip(request))
            return request.state.visitor
    raise NotSignedIn


def require(permission: Permission) -> Callable[[Request], Awaitable[Visitor]]:
    """A dependency: the visitor, if their role holds `permission`; POSTs must carry the CSRF token."""

    async def dependency(request: Request, visitor: Visitor = Depends(current_visitor)) -> Visitor:
        if not visitor.may(permission):
            raise Forbidden
        if request.method not in ("GET", "HEAD", "OPTIONS") and visitor.csrf:
            await check_csrf(request, visitor.csrf)
        return visitor

    return dependency


async def check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, expected):
        raise BadCsrf
