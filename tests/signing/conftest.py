"""Fixtures of the signing tests: a live test PKI on loopback, SoftHSM2 tokens, result PDFs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signing import SignatureAppearance, SigningSession, load_p12
from tests.conftest import BIRTH_FORM, save_scan
from tests.signing.testpki import P12_PASSPHRASE, LivePki, init_softhsm, running_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePki]:
    """Root, issuing CA, official, seal, TSA, OCSP, an expired and a revoked certificate, served live."""
    with running_pki(tmp_path_factory.mktemp("pki")) as live:
        yield live


@pytest.fixture(scope="session")
def tokens(pki: LivePki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """SoftHSM2 tokens `official` and `seal`, visible to this process and to child processes."""
    env = init_softhsm(tmp_path_factory.mktemp("softhsm"), pki)
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ.update(env)
    yield env
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture(scope="session")
def result_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A two-page scanned result, as a commune would upload it."""
    path = tmp_path_factory.mktemp("results") / "ket-qua.pdf"
    return save_scan(path, [BIRTH_FORM, ["GIẤY KHAI SINH", "Họ, chữ đệm, tên: NGUYỄN THỊ AN"]], dpi=100).read_bytes()


@pytest.fixture
def official_stamp() -> SignatureAppearance:
    return SignatureAppearance(name="Nguyễn Văn An", title="KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH", agency="UBND xã Bình Thạnh")


def p12_session(pki: LivePki, label: str, **kwargs) -> SigningSession:
    """A B-T session over the PKCS#12 file of `label`, trusting the test root."""
    signer = load_p12(pki.p12(label), P12_PASSPHRASE)
    return SigningSession(signer, tsa_url=pki.tsa_url, trust_roots=[pki.root_pem], **kwargs)


def signed_by(pki: LivePki, label: str, pdf: bytes, **kwargs) -> bytes:
    with p12_session(pki, label) as session:
        return session.sign(pdf, **kwargs).pdf


def add_annotation(pdf: bytes) -> bytes:
    """`pdf` with a note "ĐÃ DUYỆT" added on page 1 in a new revision, as an editor would save it."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    page = writer.find_page_for_modification(0)[0].get_object()
    note = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(n) for n in (50, 50, 300, 80)]),
        generic.NameObject("/Contents"): generic.TextStringObject("ĐÃ DUYỆT"),
        generic.NameObject("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
    }))
    annots = page.get("/Annots", generic.ArrayObject())
    annots.append(note)
    page[generic.NameObject("/Annots")] = annots
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
