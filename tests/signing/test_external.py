"""External signing: prepared here, signed by a token in another process, finished here."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pyhanko.sign.timestamps import HTTPTimeStamper

from signing import Level, PreparedSignature, SignatureAppearance, SigningProblem, finish, prepare, verify
from signing.external import ExternalSession
from signing.pades import SignedPdf
from tests.signing.testpki import SOFTHSM, TOKEN_PIN, LivePki

# What a desktop signing agent does on the official's PC: log in to the token and sign the bytes.
AGENT = f"""
import sys, pkcs11
from pkcs11 import Mechanism, ObjectClass
token = pkcs11.lib({str(SOFTHSM)!r}).get_token(token_label=sys.argv[1])
pin = sys.stdin.buffer.readline().strip().decode()
with token.open(user_pin=pin) as session:
    key = session.get_key(object_class=ObjectClass.PRIVATE_KEY)
    sys.stdout.buffer.write(key.sign(sys.stdin.buffer.read(), mechanism=Mechanism.SHA256_RSA_PKCS))
"""


def _agent_signs(token: str, data: bytes, env: dict[str, str]) -> bytes:
    done = subprocess.run([sys.executable, "-c", AGENT, token], input=TOKEN_PIN.encode() + b"\n" + data,
                          capture_output=True, env={**os.environ, **env}, check=True, timeout=60)
    return done.stdout


def _prepared(pki: LivePki, pdf: bytes) -> PreparedSignature:
    state = prepare(pdf, pki.cert("official"), chain=(pki.cert("interm").dump(),),
                    appearance=SignatureAppearance(name="Nguyễn Văn An", title="CHỦ TỊCH"))
    return PreparedSignature.from_json(state.to_json())  # as if stored between the two halves


def test_token_in_another_process_signs_the_prepared_bytes(pki: LivePki, tokens, result_pdf: bytes) -> None:
    state = _prepared(pki, result_pdf)
    signature = _agent_signs("official", state.data_to_sign, tokens)
    signed = finish(state, signature, tsa_url=pki.tsa_url)
    report = verify(signed, [pki.root_pem])
    assert report.ok, report.problems
    assert report.signatures[0].signer == "Nguyễn Văn An" and report.signatures[0].timestamp is not None


def test_signature_from_the_wrong_key_is_refused(pki: LivePki, tokens, result_pdf: bytes) -> None:
    state = _prepared(pki, result_pdf)
    signature = _agent_signs("seal", state.data_to_sign, tokens)  # the clerk's token, not the official's
    with pytest.raises(SigningProblem, match="does not match"):
        finish(state, signature, tsa_url=pki.tsa_url)


def test_a_batch_session_prepares_and_finishes_b_lt(pki: LivePki, tokens, result_pdf: bytes) -> None:
    stamp = SignatureAppearance(name="Nguyễn Văn An", title="CHỦ TỊCH")
    chain = (pki.cert("interm").dump(),)
    with ExternalSession(pki.cert("official"), chain, level=Level.B_LT, tsa_url=pki.tsa_url,
                         trust_roots=[pki.root_pem]) as session:
        states = [PreparedSignature.from_json(session.prepare(result_pdf, stamp).to_json()) for _ in range(2)]
        signed = [session.finish(s, _agent_signs("official", s.data_to_sign, tokens)) for s in states]
        assert [s.level for s in signed] == [Level.B_LT, Level.B_LT]
        assert all(session.verify(s.pdf).ok for s in signed)
    report = verify(signed[1].pdf, [pki.root_pem])  # the plain verifier agrees
    assert report.ok, report.problems
    with ExternalSession(pki.cert("seal"), chain, tsa_url=pki.tsa_url) as other, \
            pytest.raises(SigningProblem, match="another certificate"):
        other.finish(states[0], _agent_signs("official", states[0].data_to_sign, tokens))


def test_a_batch_finishes_in_order_with_one_timestamp_per_signed_document(
        pki: LivePki, tokens, result_pdf: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []
    request = HTTPTimeStamper.async_request_tsa_response

    async def counted(self, req):
        asked.append(req)
        return await request(self, req)

    monkeypatch.setattr(HTTPTimeStamper, "async_request_tsa_response", counted)
    stamp = SignatureAppearance(name="Nguyễn Văn An", title="CHỦ TỊCH")
    with ExternalSession(pki.cert("official"), (pki.cert("interm").dump(),), tsa_url=pki.tsa_url) as session:
        states = [session.prepare(result_pdf, stamp) for _ in range(3)]
        asked.clear()  # the first preparation sizes the room with a dummy timestamp
        signatures = [_agent_signs(token, s.data_to_sign, tokens)
                      for token, s in zip(("official", "seal", "official"), states, strict=True)]
        done = list(session.finish_all(list(zip(states, signatures, strict=True))))
    assert isinstance(done[1], SigningProblem) and "does not match" in str(done[1])
    assert [type(d).__name__ for d in done] == ["SignedPdf", "SigningProblem", "SignedPdf"]
    assert len(asked) == 2  # none for the refused signature, none twice
    for d in (done[0], done[2]):
        assert isinstance(d, SignedPdf) and d.level is Level.B_T
        assert verify(d.pdf, [pki.root_pem]).ok
