"""The test PKI, served live: certomancer issues it, its animator answers TSA, OCSP and CRL requests.

Used by the signing tests and by `bench/sign.py`, so both measure against the same real services
on loopback, and SoftHSM2 tokens hold the officials' keys as USB tokens would.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pem, x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import CertLabel, CertomancerConfig, KeyLabel, PKIArchitecture
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import WSGIRequestHandler, make_server

CONFIG = Path(__file__).with_name("pki.yaml")
ARCH = "sohoa-test"
SIGNERS = ("official", "seal", "expired", "revoked", "serverauth", "wrongku", "sha1", "rsa1024", "selfsigned",
           "impostor")
"""Certificates with a PKCS#12 file; besides the good `official` and `seal` (digitalSignature
only), each is wrong in one way the verifier must name."""
KEYS = ("root", "interm", "ocsp", "tsa", "fakeroot", "fakeinterm", *SIGNERS)
KEY_BITS = {"rsa1024": 1024}
P12_PASSPHRASE = b"mat-khau-p12"
SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN_PIN = "246810"
SO_PIN = "13579135"


@dataclass(frozen=True)
class LivePki:
    """Files and URLs of a running test PKI."""

    folder: Path
    url: str
    arch: PKIArchitecture

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"

    @property
    def root_pem(self) -> Path:
        return self.folder / "root.cert.pem"

    def cert(self, label: str) -> x509.Certificate:
        return self.arch.get_cert(CertLabel(label))

    def p12(self, label: str) -> Path:
        return self.folder / f"{label}.p12"

    def key_der(self, label: str) -> bytes:
        return self.arch.key_set.get_private_key(KeyLabel(label)).dump()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


class _LateApp:
    """A WSGI app set after the server binds, because the certificates embed the server's port."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@contextmanager
def running_pki(folder: Path) -> Iterator[LivePki]:
    """Generate keys, issue the PKI into `folder` and serve it on a free loopback port."""
    folder.mkdir(parents=True, exist_ok=True)
    for label in KEYS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS.get(label, 2048))
        (folder / f"{label}.key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True, request_handler=_QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    config = CertomancerConfig.from_file(str(CONFIG), key_search_dir=str(folder), external_url_prefix=url)
    arch = config.get_pki_arch(ARCH)
    late.app = Animator(AnimatorArchStore({ARCH: arch}), with_web_ui=False)
    pki = LivePki(folder=folder, url=url, arch=arch)
    (folder / "root.cert.pem").write_bytes(pem.armor("CERTIFICATE", pki.cert("root").dump()))
    for label in SIGNERS:
        pki.p12(label).write_bytes(arch.package_pkcs12(CertLabel(label), password=P12_PASSPHRASE))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield pki
    finally:
        server.shutdown()
        thread.join(timeout=5)


def init_softhsm(folder: Path, pki: LivePki, labels: tuple[str, ...] = ("official", "seal")) -> dict[str, str]:
    """SoftHSM2 tokens named after `labels`, each holding that signer's key, certificate and issuer.

    Returns the environment (SOFTHSM2_CONF) under which the tokens are visible; it must be set
    before the PKCS#11 module is first loaded in a process.
    """
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    for label in labels:
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", TOKEN_PIN,
                        "--so-pin", SO_PIN], env=env, check=True, capture_output=True)
        key = folder / f"{label}.key.der"
        key.write_bytes(pki.key_der(label))
        cert = folder / f"{label}.cert.der"
        cert.write_bytes(pki.cert(label).dump())
        issuer = folder / "interm.cert.der"
        issuer.write_bytes(pki.cert("interm").dump())
        for path, kind, obj_id, obj_label in ((key, "privkey", "01", label), (cert, "cert", "01", label),
                                              (issuer, "cert", "02", "interm")):
            subprocess.run(["pkcs11-tool", "--module", str(SOFTHSM), "--token-label", label, "--login",
                            "--pin", TOKEN_PIN, "--write-object", str(path), "--type", kind, "--id", obj_id,
                            "--label", obj_label], env=env, check=True, capture_output=True)
    return {"SOFTHSM2_CONF": str(conf)}
