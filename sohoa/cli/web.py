"""`sohoa web`: the web pages and the API on their own (distributed mode; `sohoa run` serves them too)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from sohoa.cli.output import console

if TYPE_CHECKING:
    import uvicorn

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


def print_address(services: Services) -> None:
    s = services.settings
    console.print(f"web: [cyan]http://{s.web_host}:{s.web_port}/[/] (first admin: "
                  f"[bold]sohoa users add NAME --role admin[/]) · kiosk: http://{s.web_host}:{s.web_port}/kiosk")


def web(
    host: str = typer.Option(None, help="Address to listen on (default: SOHOA_WEB_HOST)."),
    port: int = typer.Option(None, help="Port (default: SOHOA_WEB_PORT)."),
) -> None:
    """Serve the web pages and the station API until Ctrl-C."""
    from settings import load_settings
    from workers.dispatch import make_runner
    from workers.services import Services

    settings = load_settings()
    services = Services(settings)
    updates = {k: v for k, v in {"web_host": host, "web_port": port}.items() if v is not None}
    if updates:
        services = Services(settings.model_copy(update=updates))
    # Uploads are digitized by the queues in a province; on one machine by `sohoa run`, which resumes them.
    runner = make_runner(services, settings.jobs) if settings.redis_url else None
    print_address(services)
    try:
        web_server(services, services.settings.web_host, services.settings.web_port,
                   runner.submit if runner else None).run()
    finally:
        if runner is not None:
            runner.close()


def register(app: typer.Typer) -> None:
    app.command()(web)
