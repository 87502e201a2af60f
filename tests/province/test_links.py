"""Signed download links, and the file endpoint that serves them to the portal (web/files.py)."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from pydantic import SecretStr

from province.links import BadLink, LinkSigner
from sohoa.filehost import FileHost
from tests.province.handoff import Handoff
from tests.province.lifecycle import Lifecycle
from tests.servers import S3Server, free_port, fresh_bucket, s3_server
from workers.links import file_link, link_signer
from workers.services import Services

__all__ = ["s3_server"]


def test_a_link_names_one_file_until_it_expires_and_cannot_be_forged() -> None:
    signer = LinkSigner(b"0123456789abcdef0123", ttl_seconds=60)
    token = signer.token(42, now=1000)
    assert signer.verify(token, now=1059) == 42
    with pytest.raises(BadLink, match="expired"):
        signer.verify(token, now=1061)
    _file_id, expires, mac = token.split(".")
    with pytest.raises(BadLink, match="forged"):
        signer.verify(f"43.{expires}.{mac}", now=1000)
    with pytest.raises(BadLink, match="forged"):
        LinkSigner(b"another secret 0123").verify(token, now=1000)
    with pytest.raises(BadLink, match="malformed"):
        signer.verify("../../etc/passwd", now=1000)


def test_the_portal_downloads_a_file_by_its_link_and_the_read_is_logged(handoff: Handoff) -> None:
    h = handoff
    dossier_id = h.life.receive(1)
    h.life.classify(dossier_id)
    sha = h.life.digitize(dossier_id)
    digitized = h.services.register.files(dossier_id, "digitized")[0]
    url = file_link(h.settings, link_signer(h.settings))({"id": digitized.id, "sha256": sha})
    assert url.endswith(f"#sha256={sha}")
    answer = httpx.get(url.split("#")[0])
    assert answer.status_code == 200 and hashlib.sha256(answer.content).hexdigest() == sha
    reads = h.services.register.events(dossier_id, action="file_read")
    assert [(e.actor, e.detail["file"]) for e in reads] == [("province", digitized.id)]  # type: ignore[index]

    token = url.split("/files/")[1].split("#")[0]
    file_id, expires, mac = token.split(".")
    forged = httpx.get(f"{url.split('/files/')[0]}/files/{int(file_id) - 1}.{expires}.{mac}")
    assert forged.status_code == 403 and "liên kết không hợp lệ" in forged.json()["detail"]
    expired = LinkSigner(link_signer(h.settings).secret, ttl_seconds=-1).token(digitized.id)
    assert httpx.get(f"{url.split('/files/')[0]}/files/{expired}").status_code == 403
    assert len(h.services.register.events(dossier_id, action="file_read")) == 1  # refusals read nothing


def test_files_in_s3_are_served_the_same_way(handoff: Handoff, s3_server: S3Server) -> None:
    h = handoff
    settings = h.settings.model_copy(update={
        "s3_endpoint": s3_server.endpoint, "s3_access_key": s3_server.access_key,
        "s3_secret_key": SecretStr(s3_server.secret_key), "s3_bucket": fresh_bucket(), "web_port": free_port()})
    services = Services(settings)
    life = Lifecycle(services)
    dossier_id = life.receive(1)
    sha = life.digitize(dossier_id)
    digitized = services.register.files(dossier_id, "digitized")[0]
    host = FileHost(services, "127.0.0.1", settings.web_port).start()
    try:
        url = file_link(settings, link_signer(settings))({"id": digitized.id, "sha256": sha}).split("#")[0]
        answer = httpx.get(url)
    finally:
        host.stop()
    assert answer.status_code == 200 and hashlib.sha256(answer.content).hexdigest() == sha
