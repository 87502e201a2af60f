"""The tiny context every job gets: settings, the register and the object store, opened once.

Built from the settings alone, so a job run inline, in a process pool or by an rq worker on another
machine finds the same services. The backends are picked here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

from settings import Settings, load_settings
from storage.local import LocalObjectStore
from storage.objects import ObjectStore
from storage.register import Register


@dataclass
class Services:
    settings: Settings

    @cached_property
    def register(self) -> Register:
        if self.settings.register_url.startswith("sqlite"):
            self.settings.home.mkdir(parents=True, exist_ok=True)
        return Register(self.settings.register_url)

    @cached_property
    def objects(self) -> ObjectStore:
        """MinIO/S3 when `SOHOA_S3_ENDPOINT` is set (a province), else the local folder."""
        s = self.settings
        if s.s3_endpoint:
            from storage.s3 import S3ObjectStore

            return S3ObjectStore(s.s3_endpoint, s.s3_access_key,
                                 s.s3_secret_key.get_secret_value() if s.s3_secret_key else None,
                                 s.s3_bucket, secure=s.s3_secure, retention_years=s.s3_retention_years)
        return LocalObjectStore(s.objects)


@cache
def worker_services() -> Services:
    """The services of an rq worker process: opened once and reused by every job it runs, whatever its queue."""
    return Services(load_settings())
