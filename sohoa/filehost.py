"""The hand-off of `sohoa run`, and a host of the province's file links alone.

`sohoa run` and `sohoa web` serve `GET /files/{token}` (web/files.py) inside the web app. The
stand-in's tests and `bench.sync` need only that route, without accounts or pages: `FileHost` is
the files router alone in a FastAPI app, served by uvicorn on a thread.
"""

from __future__ import annotations

import threading
import time

from workers.services import Services


class FileHost:
    def __init__(self, services: Services, host: str, port: int) -> None:
        import uvicorn
        from fastapi import FastAPI

        from web.files import router

        app = FastAPI(title="sohoa files", docs_url=None, redoc_url=None, openapi_url=None)
        app.state.services = services
        app.include_router(router)
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="file-host")

    def start(self, timeout: float = 20.0) -> FileHost:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the file host did not start (is the port taken?)")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_handoff(services: Services, stop: threading.Event) -> list[threading.Thread]:
    """`sohoa run`'s hand-off: the sync threads (the web app it serves has the file links).

    Nothing starts when `SOHOA_PROVINCE_URL` is unset (messages then wait in the outbox), nor in
    the distributed mode, where the `sync` rq queue sends and `sohoa web` serves the files.
    """
    settings = services.settings
    if not settings.province_url or settings.redis_url:
        return []
    from workers.sync import start_sync_threads

    return start_sync_threads(services, stop)
