"""What every response carries and what guards the doors: security headers and rate limits."""

from __future__ import annotations

from datetime import datetime

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storage.limits import RateLimits

# No inline script or style anywhere: the pages load /static files only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


PRIVATE = ("/dossiers", "/api", "/review", "/admin", "/search")


class SecurityHeaders:
    """CSP without inline scripts, no framing, no type sniffing, no referrer to other sites.

    A plain ASGI middleware that edits the response's first message: Starlette's
    `BaseHTTPMiddleware` would run every request through an extra task and body stream.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = scope["path"].startswith(PRIVATE)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                if private:
                    headers.setdefault("Cache-Control", "no-store")  # personal data stays off shared caches
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RateLimiter:
    """At most `limit` hits per `window` seconds per key (an address), counted in the register.

    The web runs as several worker processes (`SOHOA_WEB_WORKERS`): a count in one process's
    memory would let each process allow its own `limit`, so the hits are rows every process reads
    (`storage.limits`).
    """

    def __init__(self, limits: RateLimits, bucket: str, limit: int, window: float = 60.0) -> None:
        self.limits, self.bucket, self.limit, self.window = limits, bucket, limit, window

    def full(self, key: str, now: datetime | None = None) -> bool:
        """Whether `key` used up its hits in the window (without counting this look)."""
        return self.limits.count(self.bucket, key, self.window, now) >= self.limit

    def allow(self, key: str, now: datetime | None = None) -> bool:
        """Count a hit for `key`; False (and not counted) when its window is full."""
        return self.limits.hit(self.bucket, key, self.limit, self.window, now)
