"""Signers on someone else's machine: the digests a remote key signs, and how to ask it.

The official's key never leaves the USB token on the official's PC. The server prepares each
document (`signing.external.prepare`), sends the digest of its CMS signed attributes (and the
DER attributes themselves) to whatever drives the token there, and gets back raw signatures.
`DigestSigner` is that "whatever": `AgentClient` speaks to sohoa's own `sohoa-agent` over HTTP on
127.0.0.1; a second adapter can speak to the VGCA Sign Service or a CA vendor's plugin (README,
"Signing from an official's PC", says what is known of their hash-signing calls).

The types here are the wire protocol of `sohoa-agent` too (their `to_wire`/`from_wire` are the
JSON it reads and writes), which is why they use nothing but the standard library: the agent
imports this module and nothing else of sohoa.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from signing.errors import SigningProblem, TokenNotFound, WrongPin

PROTOCOL = 1
PAIRING_HEADER = "X-Sohoa-Pairing"
"""The header carrying the pairing key the agent gave the site at pairing."""
DIGEST_ALGORITHM = "sha256"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, what: str) -> bytes:
    """Base64 from the wire, or a `ValueError` naming the field (never a binascii traceback)."""
    if not isinstance(text, str):
        raise ValueError(f"{what} must be a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ValueError(f"{what} is not valid base64") from exc


@dataclass(frozen=True)
class TokenCertificate:
    """A signing certificate on a token, with the issuing certificates stored beside it."""

    der: bytes
    token: str
    label: str
    chain: tuple[bytes, ...] = ()

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate, hex: how a sign request names the key to use."""
        return hashlib.sha256(self.der).hexdigest()

    def to_wire(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "token": self.token, "label": self.label,
                "certificate": b64(self.der), "chain": [b64(c) for c in self.chain]}

    @classmethod
    def from_wire(cls, raw: dict[str, Any]) -> TokenCertificate:
        return cls(der=unb64(raw.get("certificate"), "certificate"), token=str(raw.get("token", "")),
                   label=str(raw.get("label", "")),
                   chain=tuple(unb64(c, "chain") for c in raw.get("chain") or ()))


@dataclass(frozen=True)
class DigestToSign:
    """One thing to sign: the SHA-256 `digest` of the DER signed attributes `data`.

    `data` is sent when known, so that a signer able to hash on the token (CKM_SHA256_RSA_PKCS)
    signs the attributes themselves and can check they are CMS signed attributes; hash-only
    signers (VGCA's `SignMsg`) use `digest`.
    """

    id: str
    digest: bytes
    data: bytes | None = None
    algorithm: str = DIGEST_ALGORITHM

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"id": self.id, "algorithm": self.algorithm, "digest": b64(self.digest)}
        if self.data is not None:
            wire["data"] = b64(self.data)
        return wire

    @classmethod
    def from_wire(cls, raw: Any) -> DigestToSign:
        """Parse and check one item: a SHA-256 digest, and data that hashes to it when given."""
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
            raise ValueError("each item needs an id")
        if raw.get("algorithm", DIGEST_ALGORITHM) != DIGEST_ALGORITHM:
            raise ValueError(f"only {DIGEST_ALGORITHM} digests are signed")
        digest = unb64(raw.get("digest"), "digest")
        if len(digest) != hashlib.sha256().digest_size:
            raise ValueError("a sha256 digest is 32 bytes")
        data = unb64(raw["data"], "data") if raw.get("data") is not None else None
        if data is not None and hashlib.sha256(data).digest() != digest:
            raise ValueError(f"item {raw['id']}: data does not hash to its digest")
        return cls(id=raw["id"], digest=digest, data=data)


@dataclass(frozen=True)
class DigestSignature:
    """The raw signature over one `DigestToSign` (PKCS#1 v1.5 for RSA, DER ECDSA for EC keys)."""

    id: str
    signature: bytes

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "signature": b64(self.signature)}

    @classmethod
    def from_wire(cls, raw: dict[str, Any]) -> DigestSignature:
        return cls(id=str(raw.get("id")), signature=unb64(raw.get("signature"), "signature"))


class DigestSigner(Protocol):
    """What sohoa needs of anything that holds an official's key: its certificates, and signatures.

    One `sign_digests` call is one batch: the signer asks for the PIN once (its own prompt, never
    sohoa's page) and signs every item, or raises `WrongPin` and signs none.
    """

    def certificates(self) -> list[TokenCertificate]:
        ...

    def sign_digests(self, certificate: str, items: Sequence[DigestToSign]) -> list[DigestSignature]:
        """Sign `items` with the key of the certificate whose SHA-256 fingerprint is `certificate`."""
        ...


class AgentError(StrEnum):
    """Why `sohoa-agent` refused a request: the `error` field of its JSON answers."""

    origin_refused = "origin_refused"
    host_refused = "host_refused"
    not_paired = "not_paired"
    pairing_refused = "pairing_refused"
    bad_request = "bad_request"
    not_found = "not_found"
    busy = "busy"
    wrong_pin = "wrong_pin"
    pin_locked = "pin_locked"
    pin_cancelled = "pin_cancelled"
    token_not_found = "token_not_found"
    token_failed = "token_failed"


class AgentUnavailable(SigningProblem):
    """`sohoa-agent` does not answer: not started, another port, or blocked by the browser."""


class AgentRefused(SigningProblem):
    """`sohoa-agent` answered but refused: another origin, not paired, or a malformed request."""

    def __init__(self, message: str, code: AgentError | None = None) -> None:
        super().__init__(message)
        self.code = code


class AgentWrongPin(WrongPin):
    """The token refused the PIN typed in the agent's prompt; the batch was stopped, nothing signed."""

    def __init__(self, message: str, wrong_pins: int) -> None:
        super().__init__(message)
        self.wrong_pins = wrong_pins


class AgentClient:
    """`DigestSigner` over HTTP to `sohoa-agent` on the official's PC (the desktop fallback, tests).

    Browsers do the same from the signing page's JavaScript; this client sends the site's
    `origin` and the pairing `key` as the page would, so the agent applies the same checks.
    """

    def __init__(self, url: str, *, origin: str, key: str | None = None, timeout: float = 300.0) -> None:
        self.url = url.rstrip("/")
        self.origin = origin
        self.key = key
        self.timeout = timeout

    def status(self) -> dict[str, Any]:
        return self._call("GET", "/v1/status")

    def pair(self, code: str) -> str:
        """Present the pairing code shown in the agent's window; keeps and returns the pairing key."""
        self.key = str(self._call("POST", "/v1/pair", {"code": code})["key"])
        return self.key

    def certificates(self) -> list[TokenCertificate]:
        return [TokenCertificate.from_wire(c) for c in self._call("GET", "/v1/certificates")["certificates"]]

    def sign_digests(self, certificate: str, items: Sequence[DigestToSign]) -> list[DigestSignature]:
        answer = self._call("POST", "/v1/sign", {"certificate": certificate,
                                                  "items": [i.to_wire() for i in items]})
        return [DigestSignature.from_wire(s) for s in answer["signatures"]]

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Origin": self.origin, "Accept": "application/json"}
        if self.key:
            headers[PAIRING_HEADER] = self.key
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise _refusal(exc) from None
        except (urllib.error.URLError, OSError) as exc:
            raise AgentUnavailable(f"sohoa-agent does not answer at {self.url}: {exc}") from exc


def _refusal(exc: urllib.error.HTTPError) -> SigningProblem:
    try:
        raw = json.loads(exc.read())
    except ValueError:
        raw = {}
    message = str(raw.get("message") or f"sohoa-agent answered HTTP {exc.code}")
    try:
        code = AgentError(raw.get("error"))
    except ValueError:
        code = None
    if code is AgentError.wrong_pin:
        return AgentWrongPin(message, int(raw.get("wrong_pins") or 0))
    if code is AgentError.pin_locked:
        return WrongPin(message)
    if code is AgentError.token_not_found:
        return TokenNotFound(message)
    return AgentRefused(message, code)
