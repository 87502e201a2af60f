"""Signing in and out, the language switch, and the home page that sends each role to its page."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from sohoa.timezone import local
from storage.accounts import LoginOutcome, Role
from storage.audit import AuditAction, AuditEntry
from web.auth import LANG_COOKIE, SESSION_COOKIE, Visitor, check_csrf, client_ip, current_visitor
from web.context import web_of
from web.i18n import LANGUAGES
from web.render import gettext_for, render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "sohoa_login"
HOME = {Role.ARCHIVIST: "/search", Role.OFFICIAL: "/sign", Role.CLERK: "/sign", Role.REVIEWER: "/review",
        Role.ADMIN: "/admin"}


def _secure(request: Request) -> bool:
    return web_of(request).services.settings.web_secure_cookies or request.url.scheme == "https"


def safe_next(target: str | None) -> str:
    """Only a path of this site: never `//elsewhere` or `https://elsewhere` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/")
def home(request: Request, visitor: Visitor = Depends(current_visitor)) -> Response:
    return RedirectResponse(HOME.get(visitor.principal.role, "/logout"), status_code=303)


def _login_page(request: Request, next_path: str, error: str | None = None, status: int = 200,
                username: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status=status, login_csrf=token, next_path=safe_next(next_path),
                      error=error, username=username)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                        max_age=3600)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(request, next)


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), csrf: str = Form(""),
          next: str = Form("/")) -> Response:
    web, _ = web_of(request), gettext_for(request)
    settings = web.services.settings
    ip = client_ip(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf):
        return _login_page(request, next, _("The form has expired. Please sign in again."), 403, username)
    if web.login_failures.full(ip or "?"):  # only failures count: a counter's clerks share one address
        web.audit.append(AuditEntry(username[:128], "", "", AuditAction.LOGIN_FAILED, ip=ip,
                                    detail={"why": "too many attempts from this address"}))
        return _login_page(request, next, _("Too many sign-in attempts from this computer. Wait a few minutes."),
                           429, username)
    login = web.accounts.authenticate(username, password, max_failures=settings.login_max_failures,
                                      lock_minutes=settings.login_lock_minutes)
    if login.outcome is not LoginOutcome.OK or login.principal is None:
        web.login_failures.allow(ip or "?")
        action = AuditAction.LOCKED if login.just_locked else AuditAction.LOGIN_FAILED
        web.audit.append(AuditEntry(username[:128], "", "", action, ip=ip, detail={"why": login.outcome.value}))
        if login.outcome is LoginOutcome.LOCKED and login.locked_until:
            message = _("This account is locked after too many wrong passwords, until {time}. "
                        "Ask an administrator if you need it sooner.").format(
                            time=f"{local(login.locked_until):%H:%M}")
        elif login.outcome is LoginOutcome.DISABLED:
            message = _("This account is disabled. Ask an administrator.")
        else:
            message = _("Wrong name or password.")
        return _login_page(request, next, message, 401, username)
    principal = login.principal
    token, _csrf = web.accounts.open_session(principal.user_id, ip)
    web.audit.append(AuditEntry(principal.username, principal.role.value, principal.agency_label,
                                AuditAction.LOGIN, ip=ip))
    target = safe_next(next)
    response = RedirectResponse(target if target != "/" else HOME.get(principal.role, "/"), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request, visitor: Visitor = Depends(current_visitor)) -> Response:
    await check_csrf(request, visitor.csrf)
    web = web_of(request)
    web.accounts.close_session(request.cookies.get(SESSION_COOKIE, ""))
    web.audit.append(visitor.entry(AuditAction.LOGOUT))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{language}")
def switch_language(request: Request, language: str, next: str = "/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(LANG_COOKIE, language, samesite="lax", max_age=365 * 86400, secure=_secure(request))
    return response
