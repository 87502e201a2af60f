"""The download links the portal fetches, from the settings: one secret for every sohoa machine.

The secret comes from `SOHOA_PROVINCE_LINK_SECRET_FILE`, or from `<home>/link-secret`, made (owner
read-only) the first time it is needed; an embedded install needs no setting. It is never logged.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

from province.links import LinkSigner
from settings import Settings


def link_signer(settings: Settings) -> LinkSigner:
    path = settings.province_link_secret_file or settings.home / "link-secret"
    if not path.exists() and settings.province_link_secret_file is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    secret = path.read_text().strip().encode()
    if len(secret) < 16:
        raise ValueError(f"the link secret in {path} is shorter than 16 characters")
    return LinkSigner(secret, settings.province_link_ttl)


def files_base(settings: Settings) -> str:
    return settings.province_files_url or f"http://{settings.web_host}:{settings.web_port}"


def file_link(settings: Settings, signer: LinkSigner) -> Any:
    """A `province.payloads.Link`: a file's facts to a fresh signed URL of sohoa's web."""
    base = files_base(settings)

    def link(file: Mapping[str, Any]) -> str:
        return signer.url(base, int(file["id"]), str(file["sha256"]))

    return link
