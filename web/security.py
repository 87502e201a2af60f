"""What every response carries and what guards the doors: security headers and rate limits."""

from __future__ import annotations

import threading
import time
from collections import deque

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

# No inline script or style anywhere: the pages load /static files only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


class SecurityHeaders(BaseHTTPMiddleware):
    """CSP without inline scripts, no framing, no type sniffing, no referrer to other sites."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.url.path.startswith(("/dossiers", "/api", "/review", "/admin", "/search")):
            response.headers.setdefault("Cache-Control", "no-store")  # personal data stays off shared caches
        return response


class RateLimiter:
    """At most `limit` hits per `window` seconds per key (an address): a sliding window in memory.

    One process serves the web (`sohoa web` / `sohoa run`), so memory is where the counts belong;
    a restart forgets them, which only ever lets a few more look-ups through.
    """

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def full(self, key: str, now: float | None = None) -> bool:
        """Whether `key` used up its hits in the window (without counting this look)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(key)
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if not hits:
                return False
            return len(hits) >= self.limit

    def allow(self, key: str, now: float | None = None) -> bool:
        """Count a hit for `key`; False (and not counted) when its window is full."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle addresses
                for stale in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                    del self._hits[stale]
            return True
