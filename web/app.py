"""The web application: `create_app` builds it from the settings (or from services already open,
as `sohoa run` has them), so the embedded and distributed modes serve the same app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import quote

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from settings import Settings, load_settings
from web import admin, api, dossier, files, kiosk, login, results, review, search, signing, signing_api
from web.auth import BadCsrf, Forbidden, NotSignedIn
from web.context import STATIC, Web
from web.render import gettext_for, render
from web.security import SecurityHeaders
from workers.services import Services

MESSAGES = {
    401: ("not_signed_in", "Sign in first, or send a valid station token.",
          "Hãy đăng nhập, hoặc gửi mã truy cập hợp lệ."),
    403: ("forbidden", "Your role does not allow this.", "Vai trò của bạn không được phép làm việc này."),
    404: ("not_found", "There is no such page or dossier, or it is not yours to see.",
          "Không có trang hoặc hồ sơ này, hoặc bạn không có quyền xem."),
    405: ("method_not_allowed", "This address does not take that method.", "Địa chỉ này không nhận phương thức đó."),
    422: ("invalid", "The request is not valid: see `detail`.", "Yêu cầu không hợp lệ: xem `detail`."),
}


def create_app(settings: Settings | None = None, *, services: Services | None = None,
               submit: Callable[[int], object] | None = None) -> FastAPI:
    """The app; `submit` starts the pipeline for a dossier uploaded through the API."""
    services = services or Services(settings or load_settings())
    threads = services.settings.web_threads

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Requests beyond this many wait their turn in order, instead of 40 threads taking the
        # interpreter and SQLite from one another: under a burst the last of 50 searches then
        # waits about as long as the first, not seconds longer.
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    app = FastAPI(title="sohoa", version="0.1.0", openapi_url="/api/openapi.json", docs_url=None, redoc_url=None,
                  lifespan=lifespan,
                  description="Scanner stations upload dossiers; people read them within their agencies. "
                              "Trạm quét tải hồ sơ lên; cán bộ tra cứu hồ sơ của cơ quan mình.")
    app.state.web = Web(services, submit)
    app.state.services = services  # what the province's file links (web/files.py) read objects through
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (login, search, dossier, review, admin, kiosk, api, files, signing, signing_api, results):
        app.include_router(module.router)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        return render(request, "api_docs.html", schema=app.openapi())

    def api_error(status: int, **extra: object) -> JSONResponse:
        code, message, message_vi = MESSAGES.get(status, ("error", "Request failed.", "Yêu cầu không thành công."))
        return JSONResponse({"code": code, "message": message, "message_vi": message_vi, **extra}, status_code=status)

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.exception_handler(NotSignedIn)
    def not_signed_in(request: Request, _error: NotSignedIn) -> Response:
        if is_api(request):
            return api_error(401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    def forbidden(request: Request, _error: Forbidden) -> Response:
        if is_api(request):
            return api_error(403)
        _ = gettext_for(request)
        return render(request, "error.html", status=403, title=_("Not allowed"),
                      message=_("Your role does not open this page. Ask an administrator if you need it."))

    @app.exception_handler(BadCsrf)
    def bad_csrf(request: Request, _error: BadCsrf) -> Response:
        if is_api(request):
            return JSONResponse({"code": "csrf", "message": "Missing or wrong CSRF token (X-CSRF-Token).",
                                 "message_vi": "Thiếu hoặc sai mã CSRF."}, status_code=403)
        _ = gettext_for(request)
        return render(request, "error.html", status=403, title=_("The form has expired"),
                      message=_("Go back, reload the page and try again."))

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, error: HTTPException) -> Response:
        if is_api(request):
            return api_error(error.status_code)
        _ = gettext_for(request)
        if error.status_code == 404:
            return render(request, "error.html", status=404, title=_("Not found"),
                          message=_("There is no such page or dossier, or it is not yours to see."))
        return render(request, "error.html", status=error.status_code, title=str(error.status_code),
                      message=str(error.detail))

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, error: RequestValidationError) -> Response:
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in error.errors()]
        if is_api(request):
            return api_error(422, detail=detail)
        _ = gettext_for(request)
        return render(request, "error.html", status=422, title=_("Please check what you entered"),
                      message="; ".join(f"{'.'.join(map(str, d['loc'][1:]))}: {d['msg']}" for d in detail))

    return app
