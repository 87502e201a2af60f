"""The attack suite: every class of crafted PDF the verifier must refuse, and why, in its own words.

Each case is built at test time from honest signed documents (see `attacks.py`) and checked for
the verdict *and* the reason codes, file-level and per signature, so that a refusal for the wrong
reason fails as surely as an acceptance. Files the verifier accepts are cross-checked with
poppler's `pdfsig`, an independent implementation.
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from pyhanko.pdf_utils import generic

from signing import Level, Reason, UnreadablePdf, Verdict, VerificationReport, verify
from tests.signing import attacks as a
from tests.signing.conftest import p12_session
from tests.signing.testpki import LivePki, running_pki

BASE_LINES = ["GIAY CHUNG NHAN", "So tien: 100.000 dong", "Phi: 0 dong"]


@dataclass(frozen=True)
class Docs:
    """Honest documents, signed once per module, that the attacks start from."""

    pki: LivePki
    base: bytes
    signed: bytes
    form: bytes  # an honest form (amount field, value = appearance), signed
    shadow: bytes  # a form whose amount value (900000) differs from its look (100000), signed
    covered: bytes  # a line covered by a white annotation, signed
    hidden: bytes  # a second page tree hidden in the signed bytes, signed


@pytest.fixture(scope="module")
def docs(pki: LivePki) -> Docs:
    base = a.text_page(BASE_LINES)
    return Docs(
        pki=pki, base=base, signed=a.sign_with(pki, "official", base),
        form=a.sign_with(pki, "official", a.with_amount_field(base, "100000", "100000")),
        shadow=a.sign_with(pki, "official", a.with_amount_field(base, "900000", "100000")),
        covered=a.sign_with(pki, "official", a.with_cover(base)),
        hidden=a.sign_with(pki, "official", a.with_hidden_document(base, ["So tien: 900.000.000 dong"])))


def codes(report: VerificationReport) -> tuple[list[str], list[list[str]]]:
    return ([f.code.value for f in report.findings],
            [[f.code.value for f in s.findings] for s in report.signatures])


def _rewrite_sig(edit: Callable[[generic.DictionaryObject], None]) -> Callable[[bytes], bytes]:
    def attack(pdf: bytes) -> bytes:
        return a.rewrite_signature(pdf, lambda sig, writer: edit(sig))
    return attack


def _pop(key: str) -> Callable[[generic.DictionaryObject], None]:
    return lambda sig: sig.pop(generic.NameObject(key))


def _set(key: str, value: generic.PdfObject) -> Callable[[generic.DictionaryObject], None]:
    return lambda sig: sig.__setitem__(generic.NameObject(key), value)


def _wrap_signature(pdf: bytes) -> bytes:
    """SWA: the signature dictionary moved to a new revision that also replaces page 1's content."""
    def edit(sig: generic.DictionaryObject, writer) -> None:
        page = writer.find_page_for_modification(0)[0].get_object()
        page[generic.NameObject("/Contents")] = writer.add_object(
            generic.StreamObject(stream_data=b"BT /F1 14 Tf 72 760 Td (So tien: 900.000.000 dong) Tj ET"))
        writer.update_container(page)
    return a.rewrite_signature(pdf, edit)


MODIFIED = Reason.MODIFIED.value
ATTACKS: dict[str, tuple[Callable[[Docs], bytes], list[str], list[list[str]]]] = {
    # incremental saving attacks
    "ISA: page content replaced": (lambda d: a.replace_page_content(d.signed), [], [[MODIFIED]]),
    "ISA: content stream overwritten": (lambda d: a.overwrite_content_stream(d.signed), [], [[MODIFIED]]),
    "ISA: page added": (lambda d: a.add_page(d.signed), [], [[MODIFIED]]),
    "ISA: annotation added": (lambda d: a.add_annotation(d.signed), [], [[MODIFIED]]),
    "ISA: object after %%EOF": (lambda d: a.append_garbage_object(d.signed), ["data_after_end"], [[]]),
    # parser differential: pyHanko stops at the signed revision, qpdf and poppler read the update
    "differential: misplaced startxref": (
        lambda d: a.hide_update_from_pyhanko(d.signed, a.replace_page_content(d.signed)),
        ["readers_disagree", "data_after_end"], [[]]),
    # shadow attacks
    "shadow hide: cover removed": (lambda d: a.remove_cover(d.covered), [], [[MODIFIED]]),
    "shadow replace: form value and look": (lambda d: a.fill_amount(d.form, "900000"), [], [[MODIFIED]]),
    "shadow replace: value only": (lambda d: a.fill_amount(d.form, "900000", redraw=False), [], [[MODIFIED]]),
    "shadow hide-and-replace: page tree": (lambda d: a.swap_page_tree(d.hidden), [], [[MODIFIED]]),
    "shadow: NeedAppearances": (lambda d: a.set_need_appearances(d.shadow), [], [[MODIFIED]]),
    "shadow: NeedAppearances, then a second signature": (
        lambda d: a.sign_with(d.pki, "seal", a.set_need_appearances(d.shadow)), [], [[MODIFIED], []]),
    "shadow: value only, then a second signature": (
        lambda d: a.sign_with(d.pki, "seal", a.fill_amount(d.form, "900000", redraw=False)), [], [[MODIFIED], []]),
    # a document timestamp never launders an earlier change
    "timestamp laundering: form filled": (
        lambda d: a.add_document_timestamp(d.pki, a.fill_amount(d.form, "900000")), [], [[MODIFIED], []]),
    "timestamp laundering: page replaced": (
        lambda d: a.add_document_timestamp(d.pki, a.replace_page_content(d.signed)), [], [[MODIFIED], []]),
    # metadata and form dictionary after the last signature
    "/Info title": (lambda d: a.set_info_title(d.signed), [], [[MODIFIED]]),
    "XMP metadata": (lambda d: a.set_xmp(d.signed), [], [[MODIFIED]]),
    "/AcroForm /DA": (lambda d: a.set_acroform_key(d.form), [], [[MODIFIED]]),
    # universal signature forgery and signature wrapping
    # (a signature dictionary pyHanko cannot even list is a file-level reason: no signature to show)
    "USF: /Contents removed": (lambda d: _rewrite_sig(_pop("/Contents"))(d.signed), ["signature_malformed"], []),
    "USF: /ByteRange removed": (lambda d: _rewrite_sig(_pop("/ByteRange"))(d.signed), ["signature_malformed"], []),
    "USF: /Contents empty": (lambda d: _rewrite_sig(_set("/Contents", generic.ByteStringObject(b"")))(d.signed),
                             ["signature_malformed"], []),
    "USF: /ByteRange [0 0 0 0]": (
        lambda d: _rewrite_sig(_set("/ByteRange", generic.ArrayObject([generic.NumberObject(0)] * 4)))(d.signed),
        [], [["content_mismatch"]]),
    "USF: /ByteRange null in place": (lambda d: a.byte_range_null(d.signed), [], [["signature_malformed"]]),
    "SWA: signature moved to a new revision": (lambda d: _wrap_signature(d.signed), [],
                                               [["signed_range_not_a_revision", MODIFIED]]),
    # certificates
    "chain with the right names, wrong keys": (lambda d: a.sign_with(d.pki, "impostor", d.base), [], [["untrusted"]]),
    "self-signed": (lambda d: a.sign_with(d.pki, "selfsigned", d.base), [], [["self_signed"]]),
    "expired": (lambda d: a.sign_with(d.pki, "expired", d.base), [], [["certificate_expired"]]),
    "wrong key usage": (lambda d: a.sign_with(d.pki, "wrongku", d.base), [], [["key_usage"]]),
    "TLS server certificate": (lambda d: a.sign_with(d.pki, "serverauth", d.base), [], [["extended_key_usage"]]),
    "SHA-1 certificate": (lambda d: a.sign_with(d.pki, "sha1", d.base), [], [["weak_hash"]]),
    "SHA-1 digest": (lambda d: a.sign_with(d.pki, "official", d.base, md="sha1"), [], [["weak_hash"]]),
    "RSA-1024": (lambda d: a.sign_with(d.pki, "rsa1024", d.base), [], [["weak_key"]]),
    "revoked": (lambda d: a.sign_with(d.pki, "revoked", d.base), [], [["certificate_revoked"]]),
    "changed byte": (lambda d: a.flip_byte(d.signed, 300), [], [["content_mismatch"]]),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_is_refused_for_its_reason(docs: Docs, name: str) -> None:
    build, file_codes, signature_codes = ATTACKS[name]
    report = verify(build(docs), [docs.pki.root_pem])
    assert report.verdict is Verdict.INVALID
    assert codes(report) == (file_codes, signature_codes), report.problems
    for reason in [*report.findings, *(f for s in report.signatures for f in s.findings)]:
        assert reason.vi and reason.en and reason.vi != reason.en


def test_modification_is_named_in_plain_words(docs: Docs) -> None:
    (reason,) = verify(a.replace_page_content(docs.signed), [docs.pki.root_pem]).signatures[0].findings
    assert reason.vi == "Tài liệu đã bị sửa sau khi ký: nội dung trang 1 bị thay"
    assert reason.en == "The document was changed after it was signed: the content of page 1 was replaced"
    (reason,) = verify(a.set_need_appearances(docs.shadow), [docs.pki.root_pem]).signatures[0].findings
    assert "/NeedAppearances" in reason.vi and "/NeedAppearances" in reason.en
    (reason,) = verify(a.fill_amount(docs.form, "900000"), [docs.pki.root_pem]).signatures[0].findings
    assert "«so_tien»" in reason.vi


def test_poppler_reads_the_update_pyhanko_was_made_to_miss(docs: Docs, tmp_path: Path) -> None:
    """The differential is real: poppler sees more than the signed revision, qpdf too."""
    crafted = tmp_path / "differential.pdf"
    crafted.write_bytes(a.hide_update_from_pyhanko(docs.signed, a.replace_page_content(docs.signed)))
    assert "Not total document signed" in _pdfsig(crafted)
    assert "900.000.000" in subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(crafted), "-"],
                                           capture_output=True).stdout.decode("latin-1")


def test_thousands_of_revisions_are_refused_quickly(docs: Docs) -> None:
    report = verify(a.many_empty_updates(docs.signed, 3000), [docs.pki.root_pem], allow_fetching=False)
    assert report.verdict is Verdict.INVALID
    assert [f.code for f in report.findings] == [Reason.READERS_DISAGREE]


def test_a_few_empty_updates_after_signing_are_harmless(docs: Docs) -> None:
    """Empty updates change nothing a viewer shows: both readers agree, and nothing is flagged."""
    report = verify(a.many_empty_updates(docs.signed, 3), [docs.pki.root_pem])
    assert report.verdict is Verdict.VALID, report.problems
    assert report.revisions == 5


def test_update_without_prev_is_unreadable_not_a_crash(docs: Docs) -> None:
    with pytest.raises(UnreadablePdf):
        verify(a.update_without_prev(docs.signed), [docs.pki.root_pem])


# -- what must be accepted, and agree with poppler ----------------------------------------------

def _pdfsig(path: Path) -> str:
    return subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True).stdout


ACCEPTED: dict[str, Callable[[Docs], bytes]] = {
    "one signature": lambda d: d.signed,
    "seal with digitalSignature only": lambda d: a.sign_with(d.pki, "seal", d.base),
    "official then seal": lambda d: a.sign_with(d.pki, "seal", d.signed),
    "honest form": lambda d: d.form,
    "document timestamp after the signature": lambda d: a.add_document_timestamp(d.pki, d.signed),
    "encrypted, empty user password": lambda d: a.sign_with(d.pki, "official", a.encrypted_empty_password(d.base),
                                                            owner_password="chu-so-huu"),
    "xref and object streams": lambda d: a.add_document_timestamp(d.pki, a.sign_with(d.pki, "official", a.resaved(
        d.base, object_stream_mode=pikepdf.ObjectStreamMode.generate))),
    "linearized": lambda d: a.sign_with(d.pki, "official", a.resaved(d.base, linearize=True)),
}


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_honest_file_is_valid_and_poppler_agrees(docs: Docs, name: str, tmp_path: Path) -> None:
    pdf = ACCEPTED[name](docs)
    report = verify(pdf, [docs.pki.root_pem])
    assert report.verdict is Verdict.VALID, report.problems
    path = tmp_path / "accepted.pdf"
    path.write_bytes(pdf)
    poppler = _pdfsig(path)
    regular = [s for s in report.signatures if s.kind == "signature"]
    assert poppler.count("Signature is Valid.") == len(regular)
    if len(report.signatures) == 1:
        assert "Total document signed" in poppler


def test_damaged_copies_end_as_a_verdict_or_unreadable(docs: Docs) -> None:
    """Random damage to a signed file, near its end where the structure lives: never another exception."""
    rng = random.Random(19)
    alphabet = b"0123456789 /<>[]()Robjxreftrailerstartxref%EOF\n"
    outcomes = set()
    for _ in range(40):
        data = bytearray(docs.signed)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data) - 2500, len(data))] = rng.choice(alphabet)
        try:
            outcomes.add(verify(bytes(data), [docs.pki.root_pem], allow_fetching=False).verdict)
        except UnreadablePdf:
            outcomes.add("unreadable")
    assert "unreadable" in outcomes and Verdict.INVALID in outcomes  # both ends of the reader were reached


# -- revocation: proven, or indeterminate -------------------------------------------------------

def test_offline_b_t_is_indeterminate_not_ok(docs: Docs) -> None:
    report = verify(docs.signed, [docs.pki.root_pem], allow_fetching=False)
    assert report.verdict is Verdict.INDETERMINATE
    assert {f.code for f in report.signatures[0].findings} == {Reason.REVOCATION_UNCHECKED}


def test_revoked_signer_offline_is_never_valid(docs: Docs) -> None:
    report = verify(a.sign_with(docs.pki, "revoked", docs.base), [docs.pki.root_pem], allow_fetching=False)
    assert report.verdict is Verdict.INDETERMINATE
    assert {f.code for f in report.signatures[0].findings} == {Reason.REVOCATION_UNCHECKED}


@pytest.mark.parametrize(("label", "code"), [("expired", "certificate_expired"), ("wrongku", "key_usage"),
                                             ("serverauth", "extended_key_usage"), ("sha1", "weak_hash"),
                                             ("rsa1024", "weak_key"), ("selfsigned", "self_signed"),
                                             ("impostor", "untrusted")])
def test_bad_certificate_offline_is_invalid_not_merely_unchecked(docs: Docs, label: str, code: str) -> None:
    """Offline, revocation is unknown; what is known to be wrong still makes the verdict invalid."""
    report = verify(a.sign_with(docs.pki, label, docs.base), [docs.pki.root_pem], allow_fetching=False)
    assert report.verdict is Verdict.INVALID
    reasons = [f.code.value for f in report.signatures[0].findings]
    assert reasons[0] == code and set(reasons[1:]) <= {"revocation_unchecked"}


def test_b_lta_verifies_offline_from_its_own_validation_data(pki: LivePki, docs: Docs) -> None:
    with p12_session(pki, "official", level=Level.B_LTA) as session:
        signed = session.sign(docs.base)
    assert signed.level is Level.B_LTA
    report = verify(signed.pdf, [pki.root_pem], allow_fetching=False)
    assert report.verdict is Verdict.VALID, report.problems
    assert [s.kind for s in report.signatures] == ["signature", "document timestamp"]


@pytest.mark.slow
def test_unreachable_ocsp_and_crl_make_it_indeterminate(docs: Docs, tmp_path: Path) -> None:
    """A CA whose OCSP responder and CRL are down: nothing says revoked, nothing says not."""
    with running_pki(tmp_path / "pki") as gone:
        pdf = a.sign_with(gone, "official", docs.base)
    report = verify(pdf, [gone.root_pem])
    assert report.verdict is Verdict.INDETERMINATE
    assert {f.code for f in report.signatures[0].findings} == {Reason.REVOCATION_UNCHECKED}
