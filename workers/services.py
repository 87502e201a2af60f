"""The tiny context every job gets: settings, the register and the object store, opened once.

Built from the settings alone, so a job run inline, in a process pool or by an rq worker on another
machine finds the same services. The backends are picked here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sohoa.settings import Settings
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
        return LocalObjectStore(self.settings.objects)
