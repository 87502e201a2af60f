"""`sohoa web`: the web pages and the API on their own (distributed mode; `sohoa run` serves them too).

The web runs as `SOHOA_WEB_WORKERS` uvicorn processes (one per core by default): one Python
process answers about 30 searches a second on one core, and a counter's archivists search at once.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from sohoa.cli.output import console

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from workers.services import Services


def web_server(services: Services, host: str, port: int,
               submit: Callable[[int], object] | None = None) -> uvicorn.Server:
    """A uvicorn server of the app over `services`; `submit` starts the pipeline of an uploaded dossier."""
    import uvicorn

    from web.app import create_app

    config = uvicorn.Config(create_app(services=services, submit=submit), host=host, port=port,
                            log_level="warning", access_log=False, proxy_headers=True)
    return uvicorn.Server(config)


def serve_in_thread(services: Services, submit: Callable[[int], object] | None = None) -> uvicorn.Server:
    """Start the web in a daemon thread (for `sohoa run`); stop it with `server.should_exit = True`.

    uvicorn takes signals only in the main thread, so Ctrl-C stays `sohoa run`'s.
    """
    s = services.settings
    server = web_server(services, s.web_host, s.web_port, submit)
    threading.Thread(target=server.run, daemon=True, name="web").start()
    return server


def worker_app() -> FastAPI:
    """The app of one web worker process, as uvicorn's factory builds it in each process.

    Settings come from the environment, as the parent's did. Nothing a request depends on lives
    in the process (sessions, lockouts, rate limits and the audit chain are in the register), so
    any process may answer any request. With Redis, an upload is enqueued for the workers.
    """
    from settings import load_settings
    from web.app import create_app
    from workers.dispatch import make_runner
    from workers.services import Services

    settings = load_settings()
    services = Services(settings)
    runner = make_runner(services, settings.jobs) if settings.redis_url else None
    return create_app(services=services, submit=runner.submit if runner else None)


def serve_processes(host: str, port: int, workers: int) -> None:
    """uvicorn over `workers` processes of `worker_app`, until Ctrl-C (or SIGTERM)."""
    import uvicorn

    uvicorn.run("sohoa.cli.web:worker_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False, proxy_headers=True)


class EmbeddedWeb:
    """The web of `sohoa run`: a thread of its own, or, when `SOHOA_WEB_WORKERS` asks for several
    processes, `sohoa web` beside it.

    A thread is the default here: a counter's machine serves a few people, and SQLite releases the
    interpreter's lock while it searches, so one process already searches on every core. With
    several web processes, uploads through the API are received by a web process, which cannot
    reach this process's OCR pool: `pick_up_uploads` submits what they received.
    """

    def __init__(self, services: Services, submit: Callable[[int], object]) -> None:
        self.services, self.submit = services, submit
        self.stop = threading.Event()
        self.server: uvicorn.Server | None = None
        self.child: subprocess.Popen[bytes] | None = None
        if services.settings.web_workers <= 1:  # only an explicit setting; not one per core
            self.server = serve_in_thread(services, submit)
            return
        s = services.settings
        self.child = subprocess.Popen([sys.executable, "-m", "sohoa", "web", "--host", s.web_host, "--port",
                                       str(s.web_port), "--workers", str(s.web_processes), "--no-banner"],
                                      preexec_fn=_end_with_parent())
        threading.Thread(target=self.pick_up_uploads, daemon=True, name="web-uploads").start()

    def pick_up_uploads(self, every: float = 2.0) -> None:
        """Submit each dossier waiting in a resumable state once (runs are idempotent anyway)."""
        from sqlalchemy.exc import SQLAlchemyError

        from storage.vocabulary import RESUMABLE

        seen: set[int] = set()
        while not self.stop.wait(every):
            try:
                waiting = self.services.register.dossier_ids(states=RESUMABLE)
            except SQLAlchemyError as error:  # a busy or restarting database: look again next time
                logging.getLogger(__name__).warning("uploads not looked up: %s", error)
                continue
            for dossier_id in waiting:
                if dossier_id not in seen:
                    seen.add(dossier_id)
                    self.submit(dossier_id)

    def close(self) -> None:
        self.stop.set()
        if self.server is not None:
            self.server.should_exit = True
        if self.child is not None:
            self.child.terminate()
            try:
                self.child.wait(15)
            except subprocess.TimeoutExpired:
                self.child.kill()


def _end_with_parent() -> Callable[[], object] | None:
    """What the child runs before `sohoa web`: ask Linux for SIGTERM when `sohoa run` dies, even by
    SIGKILL, so no orphaned web keeps the port from the next `sohoa run`. The library is loaded
    here, in the parent: between fork and exec the child must not import anything."""
    if sys.platform != "linux":
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return lambda: prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def print_address(services: Services) -> None:
    s = services.settings
    console.print(f"web: [cyan]http://{s.web_host}:{s.web_port}/[/] (first admin: "
                  f"[bold]sohoa users add NAME --role admin[/]) · kiosk: http://{s.web_host}:{s.web_port}/kiosk")


def web(
    host: str = typer.Option(None, help="Address to listen on (default: SOHOA_WEB_HOST)."),
    port: int = typer.Option(None, help="Port (default: SOHOA_WEB_PORT)."),
    workers: int = typer.Option(None, min=1, help="Processes serving requests (default: SOHOA_WEB_WORKERS, "
                                "0 there meaning one per core)."),
    no_banner: bool = typer.Option(False, "--no-banner", hidden=True, help="Do not print the address."),
) -> None:
    """Serve the web pages and the station API until Ctrl-C."""
    from settings import load_settings
    from workers.services import Services

    settings = load_settings()
    updates = {k: v for k, v in {"web_host": host, "web_port": port}.items() if v is not None}
    services = Services(settings.model_copy(update=updates) if updates else settings)
    services.register  # noqa: B018 - the schema is brought up to date once, before the workers start
    # Uploads are digitized by the queues in a province; on one machine by `sohoa run`, which picks them up.
    if not no_banner:
        print_address(services)
    s = services.settings
    os.environ |= {"SOHOA_WEB_HOST": s.web_host, "SOHOA_WEB_PORT": str(s.web_port)}  # the workers' settings too
    serve_processes(s.web_host, s.web_port, workers or s.web_processes)


def register(app: typer.Typer) -> None:
    app.command()(web)
