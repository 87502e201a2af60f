"""Signing with tokens and PKCS#12 files, and the certificates that must be refused."""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signing import (
    CertificateRejected,
    Level,
    Reason,
    SigningSession,
    TokenNotFound,
    Verdict,
    WrongPin,
    load_p12,
    open_token,
    verify,
)
from tests.signing.conftest import p12_session, signed_by
from tests.signing.testpki import P12_PASSPHRASE, TOKEN_PIN, LivePki, running_pki


def test_token_signs_a_batch_with_one_login(pki: LivePki, tokens, result_pdf: bytes, official_stamp) -> None:
    with open_token("official", TOKEN_PIN) as token, \
            SigningSession(token.signer, tsa_url=pki.tsa_url, trust_roots=[pki.root_pem]) as session:
        signed = [session.sign(result_pdf, official_stamp) for _ in range(3)]
    for result in signed:
        report = verify(result.pdf, [pki.root_pem])
        assert report.ok, report.problems
        (sig,) = report.signatures
        assert sig.signer == "Nguyễn Văn An" and sig.organization == "UBND xã Bình Thạnh"
        assert sig.timestamp is not None  # B-T: the TSA's time (valid, or the verdict would say so)
        assert result.level is Level.B_T and result.signed_at.endswith("+07:00")


def test_p12_signature_verifies_and_names_the_signer(pki: LivePki, result_pdf: bytes) -> None:
    report = verify(signed_by(pki, "official", result_pdf), [pki.root_pem])
    assert report.ok
    assert report.signatures[0].revision == report.revisions  # it covers the last revision: the whole file


def test_wrong_token_pin_is_refused(pki: LivePki, tokens) -> None:
    with pytest.raises(WrongPin) as caught:
        open_token("official", "000000")
    assert "000000" not in str(caught.value)


def test_unknown_token_is_reported(tokens) -> None:
    with pytest.raises(TokenNotFound):
        open_token("no-such-token", TOKEN_PIN)


def test_wrong_p12_passphrase_is_refused(pki: LivePki) -> None:
    with pytest.raises(WrongPin):
        load_p12(pki.p12("official"), b"wrong")


def test_expired_certificate_cannot_sign(pki: LivePki, result_pdf: bytes) -> None:
    signer = load_p12(pki.p12("expired"), P12_PASSPHRASE)
    with SigningSession(signer, tsa_url=pki.tsa_url) as session, pytest.raises(CertificateRejected, match="expired"):
        session.sign(result_pdf)


def test_revoked_certificate_cannot_sign(pki: LivePki, result_pdf: bytes) -> None:
    with p12_session(pki, "revoked") as session, pytest.raises(CertificateRejected, match="revoked"):
        session.sign(result_pdf)


def test_signature_by_revoked_certificate_is_not_trusted(pki: LivePki, result_pdf: bytes) -> None:
    """Signed without a trust list (so nothing checked the OCSP), the verifier asks OCSP and says no."""
    signer = load_p12(pki.p12("revoked"), P12_PASSPHRASE)
    with SigningSession(signer, tsa_url=pki.tsa_url) as session:
        pdf = session.sign(result_pdf).pdf
    report = verify(pdf, [pki.root_pem])
    assert report.verdict is Verdict.INVALID
    assert report.signatures[0].intact and not report.signatures[0].trusted
    assert [f.code for f in report.signatures[0].findings] == [Reason.REVOKED]


def test_untrusted_root_is_not_ok(pki: LivePki, result_pdf: bytes) -> None:
    report = verify(signed_by(pki, "official", result_pdf), [])
    assert report.signatures[0].intact and report.signatures[0].valid
    assert not report.signatures[0].trusted and not report.ok


@pytest.mark.slow
def test_b_lt_embeds_validation_data_and_verifies_offline(pki: LivePki, result_pdf: bytes) -> None:
    with p12_session(pki, "official", level=Level.B_LT) as session:
        signed = session.sign(result_pdf)
    assert signed.level is Level.B_LT
    dss = PdfFileReader(BytesIO(signed.pdf), strict=False).root["/DSS"]
    assert "/Certs" in dss and ("/OCSPs" in dss or "/CRLs" in dss)
    report = verify(signed.pdf, [pki.root_pem], allow_fetching=False)
    assert report.ok, report.problems


@pytest.mark.slow
def test_b_lta_adds_a_document_timestamp(pki: LivePki, result_pdf: bytes) -> None:
    with p12_session(pki, "official", level=Level.B_LTA) as session:
        signed = session.sign(result_pdf)
    report = verify(signed.pdf, [pki.root_pem], allow_fetching=False)
    assert report.ok, report.problems
    assert [s.kind for s in report.signatures] == ["signature", "document timestamp"]


def test_b_t_without_a_tsa_is_a_configuration_error(pki: LivePki) -> None:
    from signing import SigningProblem

    with pytest.raises(SigningProblem, match="timestamp authority"):
        SigningSession(load_p12(pki.p12("official"), P12_PASSPHRASE), level=Level.B_T, tsa_url=None)


@pytest.mark.slow
def test_b_lt_falls_back_to_b_t_when_the_ca_does_not_answer(pki: LivePki, result_pdf: bytes, tmp_path) -> None:
    with running_pki(tmp_path / "offline") as offline:
        pass  # its server is stopped now: the certificates' OCSP and CRL URLs no longer answer
    signer = load_p12(offline.p12("official"), P12_PASSPHRASE)
    with SigningSession(signer, level=Level.B_LT, tsa_url=pki.tsa_url, trust_roots=[offline.root_pem]) as session:
        signed = session.sign(result_pdf)
    assert signed.level is Level.B_T and "did not answer" in signed.notes[0]
    assert "/DSS" not in PdfFileReader(BytesIO(signed.pdf), strict=False).root
