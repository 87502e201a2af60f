"""Short-lived signed download links for the files the portal fetches.

The portal downloads a dossier's files from sohoa's web (`GET /files/{token}`), not from the
object store: the store stays private, every download is logged as a read by the province, and a
link stops working after its time. A token is `{file id}.{expiry}.{HMAC-SHA256}`, signed with a
secret only sohoa's machines share; nothing is kept per link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass


class BadLink(ValueError):
    """A token that is malformed, forged or expired."""


@dataclass(frozen=True)
class LinkSigner:
    secret: bytes
    ttl_seconds: float = 86400.0

    def _mac(self, body: str) -> str:
        digest = hmac.new(self.secret, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def token(self, file_id: int, *, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + self.ttl_seconds)
        body = f"{file_id}.{expires}"
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, *, now: float | None = None) -> int:
        """The file id the token was made for; `BadLink` unless it is genuine and unexpired."""
        parts = token.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            raise BadLink("malformed link")
        body = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._mac(body), parts[2]):
            raise BadLink("forged link")
        if int(parts[1]) < (now if now is not None else time.time()):
            raise BadLink("expired link")
        return int(parts[0])

    def url(self, base: str, file_id: int, sha256: str) -> str:
        """The download URL; its `#sha256=` fragment (never sent by HTTP clients) lets the stand-in check it."""
        return f"{base.rstrip('/')}/files/{self.token(file_id)}#sha256={sha256}"
