"""sohoa-agent on its own: pairing, origin checks, certificates, one PIN per batch, wrong PINs.

The agent runs in another process on SoftHSM2 tokens, reached over its real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509 import load_der_x509_certificate

from signing.errors import WrongPin
from signing.remote import AgentClient, AgentError, AgentRefused, AgentWrongPin, DigestToSign, TokenCertificate
from tests.agent.running import SITE, RunningAgent, running_agent
from tests.signing.testpki import TOKEN_PIN, LivePki

pytestmark = pytest.mark.slow


def signed_attributes(content: bytes) -> bytes:
    """DER CMS signed attributes over `content`, as pyHanko's prepare makes them."""
    return cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
    ]).dump()


def items(n: int) -> list[DigestToSign]:
    out = []
    for i in range(n):
        data = signed_attributes(f"văn bản {i}".encode())
        out.append(DigestToSign(id=f"p{i}", digest=hashlib.sha256(data).digest(), data=data))
    return out


def official(client: AgentClient) -> TokenCertificate:
    (cert,) = [c for c in client.certificates() if c.token == "official"]
    return cert


def raw(agent: RunningAgent, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], dict]:
    request = urllib.request.Request(agent.url + path, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"{}")


def test_pairing_is_stored_and_lists_the_certificates(agent: RunningAgent, pki: LivePki, tmp_path: Path,
                                                      tokens: dict[str, str]) -> None:
    assert agent.code is not None
    with pytest.raises(AgentRefused) as other_site:
        AgentClient(agent.url, origin="https://evil.test").pair(agent.code)
    assert other_site.value.code is AgentError.origin_refused
    page = AgentClient(agent.url, origin=SITE)
    with pytest.raises(AgentRefused) as wrong:
        page.pair("0000-0000" if agent.code != "0000-0000" else "1111-1111")
    assert wrong.value.code is AgentError.pairing_refused
    key = page.pair(agent.code)

    certs = {c.token: c for c in page.certificates()}
    assert set(certs) == {"official", "seal"}
    assert certs["official"].der == pki.cert("official").dump()
    assert certs["official"].chain == (pki.cert("interm").dump(),)

    stored = tmp_path / "config" / "pairing.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert key not in stored.read_text() and json.loads(stored.read_text())["origin"] == SITE
    assert page.status()["paired"] is True

    agent.process.terminate()
    agent.process.wait(timeout=10)
    with running_agent(tmp_path / "config", site=None, env=tokens) as again:
        assert again.code is None  # paired: no new code
        assert official(AgentClient(again.url, origin=SITE, key=key)).der == pki.cert("official").dump()
        with pytest.raises(AgentRefused) as no_key:
            AgentClient(again.url, origin=SITE).certificates()
        assert no_key.value.code is AgentError.not_paired


def test_another_origin_or_host_is_refused_without_cors(client: AgentClient, agent: RunningAgent) -> None:
    assert client.key is not None
    status, headers, body = raw(agent, "GET", "/v1/certificates",
                                {"Origin": "https://evil.test", "X-Sohoa-Pairing": client.key})
    assert status == 403 and body["error"] == "origin_refused" and "Access-Control-Allow-Origin" not in headers
    assert "message_vi" in body
    status, headers, _ = raw(agent, "GET", "/v1/certificates", {"X-Sohoa-Pairing": client.key})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    status, _, body = raw(agent, "GET", "/v1/status", {"Origin": SITE, "Host": "sohoa-agent.evil.test"})
    assert status == 403 and body["error"] == "host_refused"

    preflight = {"Origin": SITE, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Private-Network": "true"}
    status, headers, _ = raw(agent, "OPTIONS", "/v1/sign", preflight)
    assert status == 204 and headers["Access-Control-Allow-Origin"] == SITE
    assert headers["Access-Control-Allow-Private-Network"] == "true"
    status, headers, _ = raw(agent, "OPTIONS", "/v1/sign", {**preflight, "Origin": "https://evil.test"})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers


def test_unpaired_agent_signs_nothing(agent: RunningAgent, tokens: dict[str, str], tmp_path: Path) -> None:
    page = AgentClient(agent.url, origin=SITE, key="guessed")
    for call in (page.certificates, lambda: page.sign_digests("0" * 64, items(1))):
        with pytest.raises(AgentRefused) as refused:
            call()
        assert refused.value.code is AgentError.not_paired
    never = subprocess.run([sys.executable, "-m", "agent", "--config", str(tmp_path / "fresh"), "run"],
                           capture_output=True, text=True, timeout=60, env={**os.environ, **tokens})
    assert never.returncode == 2 and "--site" in never.stderr and "Traceback" not in never.stderr


def test_one_pin_signs_the_batch(client: AgentClient, agent: RunningAgent) -> None:
    cert = official(client)
    batch = [*items(3), DigestToSign(id="hash-only", digest=hashlib.sha256(b"x").digest())]
    agent.type_pin(TOKEN_PIN)
    signatures = client.sign_digests(cert.fingerprint, batch)
    key = load_der_x509_certificate(cert.der).public_key()
    assert [s.id for s in signatures] == [i.id for i in batch]
    for item, signature in zip(batch, signatures, strict=True):
        if item.data is not None:
            key.verify(signature.signature, item.data, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature.signature, item.digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
    assert any("signed 4 document(s)" in line for line in agent.said())


def test_wrong_pin_stops_the_batch_and_is_counted(client: AgentClient, agent: RunningAgent) -> None:
    cert = official(client)
    agent.type_pin("000000")
    agent.type_pin(TOKEN_PIN)  # typed ahead: a retry loop would use it within the first batch
    with pytest.raises(AgentWrongPin) as wrong:
        client.sign_digests(cert.fingerprint, items(2))
    assert wrong.value.wrong_pins == 1 and client.status()["wrong_pins"] == 1
    assert len(client.sign_digests(cert.fingerprint, items(2))) == 2  # the next batch takes the next PIN
    assert client.status()["wrong_pins"] == 0
    assert not any(TOKEN_PIN in line or "000000" in line for line in agent.said())


def test_agent_stops_asking_after_wrong_pins_in_a_row(client: AgentClient, agent: RunningAgent) -> None:
    cert = official(client)
    for n in (1, 2):
        agent.type_pin(f"00000{n}")
        with pytest.raises(AgentWrongPin) as wrong:
            client.sign_digests(cert.fingerprint, items(1))
        assert wrong.value.wrong_pins == n
    agent.type_pin(TOKEN_PIN)
    with pytest.raises(WrongPin) as stopped:  # refused before any prompt: the typed PIN stays unread
        client.sign_digests(cert.fingerprint, items(1))
    assert not isinstance(stopped.value, AgentWrongPin) and "restart sohoa-agent" in str(stopped.value)
    agent.process.terminate()
    agent.process.wait(timeout=10)
    login = subprocess.run(["pkcs11-tool", "--module", "/usr/lib/softhsm/libsofthsm2.so", "--token-label",
                            "official", "--login", "--pin", TOKEN_PIN, "--list-objects"],
                           capture_output=True, text=True, timeout=60)
    assert login.returncode == 0, login.stderr  # the token itself is not locked


def test_data_that_is_not_signed_attributes_is_refused(client: AgentClient) -> None:
    cert = official(client)
    data = b"any bytes a hostile page would like signed"
    with pytest.raises(AgentRefused) as refused:
        client.sign_digests(cert.fingerprint, [DigestToSign(id="x", digest=hashlib.sha256(data).digest(), data=data)])
    assert refused.value.code is AgentError.bad_request and "signed attributes" in str(refused.value)
