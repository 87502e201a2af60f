"""Verification of results that were tampered with, or that are no usable PDF at all."""

from __future__ import annotations

from io import BytesIO

import pikepdf
import pytest

from signing import Reason, UnreadablePdf, Verdict, verify
from tests.signing.conftest import add_annotation, p12_session, signed_by
from tests.signing.testpki import LivePki


@pytest.fixture(scope="module")
def signed(pki: LivePki, result_pdf: bytes) -> bytes:
    return signed_by(pki, "official", result_pdf)


def test_changed_byte_breaks_the_signature(pki: LivePki, signed: bytes) -> None:
    at = len(signed) // 3  # inside the scanned page image, well within the signed range
    tampered = signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1:]
    report = verify(tampered, [pki.root_pem])
    assert report.verdict is Verdict.INVALID
    assert not report.signatures[0].intact
    # the reason is the content, not trust: trust was never evaluated
    assert [f.code for f in report.signatures[0].findings] == [Reason.CONTENT_MISMATCH]


def test_appended_bytes_are_flagged(pki: LivePki, signed: bytes) -> None:
    report = verify(signed + b"\n% added later: chuyen khoan vao tai khoan 123\n", [pki.root_pem])
    assert report.verdict is Verdict.INVALID
    assert report.trailing_bytes > 0
    assert [f.code for f in report.findings] == [Reason.DATA_AFTER_END]
    assert report.signatures[0].intact  # the signed bytes themselves are untouched


def test_annotation_added_after_signing_is_flagged(pki: LivePki, signed: bytes) -> None:
    report = verify(add_annotation(signed), [pki.root_pem])
    assert report.verdict is Verdict.INVALID
    assert report.signatures[0].intact and report.signatures[0].valid
    (reason,) = report.signatures[0].findings
    assert reason.code is Reason.MODIFIED
    assert reason.vi == "Tài liệu đã bị sửa sau khi ký: một chú thích được thêm vào trang 1"


def test_unsigned_pdf_is_not_ok(pki: LivePki, result_pdf: bytes) -> None:
    report = verify(result_pdf, [pki.root_pem])
    assert report.verdict is Verdict.INVALID and [f.code for f in report.findings] == [Reason.NO_SIGNATURE]


def _encrypted(pdf: bytes) -> bytes:
    out = BytesIO()
    with pikepdf.open(BytesIO(pdf)) as doc:
        doc.save(out, encryption=pikepdf.Encryption(owner="chu", user="nguoi-dung"))
    return out.getvalue()


@pytest.mark.parametrize("kind", ["empty", "not a pdf", "truncated", "encrypted"])
def test_unusable_files_raise_a_clear_error(pki: LivePki, result_pdf: bytes, kind: str) -> None:
    data = {"empty": b"", "not a pdf": b"PK\x03\x04 a zip renamed to .pdf", "truncated": result_pdf[:200],
            "encrypted": _encrypted(result_pdf)}[kind]
    with pytest.raises(UnreadablePdf):
        verify(data, [pki.root_pem])
    with p12_session(pki, "official") as session, pytest.raises(UnreadablePdf):
        session.sign(data)
