"""What every request handler reaches through `request.app.state.web`: opened once per process.

Nothing here holds state a request depends on: sessions, lockouts and rate limits are in the
register, so the web's worker processes answer as one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from storage.accounts import Accounts
from storage.audit import Audit
from storage.limits import RateLimits
from storage.queries import Queries
from web.security import RateLimiter
from workers.services import Services

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")


@dataclass
class Web:
    """The services of the web process; `submit` starts the pipeline for an uploaded dossier."""

    services: Services
    submit: Callable[[int], object] | None = None
    accounts: Accounts = field(init=False)
    audit: Audit = field(init=False)
    queries: Queries = field(init=False)
    templates: Jinja2Templates = field(init=False)
    login_failures: RateLimiter = field(init=False)
    kiosk_limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        register = self.services.register
        self.accounts, self.audit, self.queries = Accounts(register), Audit(register), Queries(register)
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        limits = RateLimits(register)
        self.login_failures = RateLimiter(limits, "login", 30, window=300)  # wrong passwords per address
        self.kiosk_limiter = RateLimiter(limits, "kiosk", self.services.settings.kiosk_per_minute)


def web_of(request: Request) -> Web:
    return request.app.state.web
