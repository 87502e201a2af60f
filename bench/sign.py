"""Batch signing (ký hàng loạt) against one-document-at-a-time pyHanko, in the same run.

    .venv/bin/python -m bench.sign [--docs 20] [--pages 10] [--browser-docs 50] [--only-browser]

The test PKI (certomancer: TSA, OCSP, CRL) is served by a process of its own (`bench.pki_server`),
as a CA's services are another machine: its CPU is not counted against either side.

Both sides sign the same 10-page scanned result as PAdES B-T with the Vietnamese ND 30 stamp
(Noto Sans), against that TSA, with the same PKCS#12 key:
- stock: plain pyHanko per document (`PdfSigner(...).sign_pdf`, what `signers.sign_pdf` wraps,
  plus the stamp style): a stock `SimpleSigner` (loaded once,
  which favours stock), the stamp style built once with pyHanko's `GlyphAccumulatorFactory`, and
  a new `HTTPTimeStamper` for each document, as a caller signing one file per request does;
- sohoa: one `SigningSession` for the whole batch (p12, and again over a SoftHSM2 token).
It prints signatures per second of each, and the ratio (target: at least 3x stock).

Then the browser path (issue 16), `--browser-docs` results of `--pages` pages each, through the
whole server side: `prepare_batch` (register, object store, interrupted signing), `sohoa-agent` in
another process on the SoftHSM2 token over its real HTTP (one PIN), and `finish_batch` (embed,
B-LT validation data from the live OCSP/CRL, `verify`, store, record), against stock pyHanko per
document in the same run, on the same token (pyHanko's own `PKCS11Signer`, session opened once,
which favours stock): `sign_pdf` B-LT (`embed_validation_info` with a fresh validation context, as
a caller signing one file per request does) followed by `validate_pdf_signature` with a fresh
context, revocation hard-fail as `sohoa verify` (what a server checking each signature it makes
would do); and, for reference, `sign_pdf` B-T with no check at all. Target: 50 results in under
15 s, at least 3x stock.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyhanko.config.pkcs11 import TokenCriteria  # noqa: E402
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.pdf_utils.text import TextBoxStyle  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session  # noqa: E402
from pyhanko.sign.timestamps import HTTPTimeStamper  # noqa: E402
from pyhanko.sign.validation import validate_pdf_signature  # noqa: E402
from pyhanko.stamp import TextStampStyle  # noqa: E402
from pyhanko_certvalidator import ValidationContext  # noqa: E402

from bench.pki_server import served_pki  # noqa: E402
from signing import SignatureAppearance, SigningSession, load_p12, open_token, verify  # noqa: E402
from signing.fonts import NOTO_SANS  # noqa: E402
from signing.remote import AgentClient  # noqa: E402
from tests.agent.running import SITE, running_agent  # noqa: E402
from tests.conftest import BIRTH_FORM, save_scan  # noqa: E402
from tests.signing.testpki import P12_PASSPHRASE, SOFTHSM, TOKEN_PIN, init_softhsm  # noqa: E402

STAMP = SignatureAppearance(name="Nguyễn Văn An", title="KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH", agency="UBND xã Bình Thạnh")
BOX = (329, 56, 559, 156)


def stock_style() -> TextStampStyle:
    return TextStampStyle(stamp_text="KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nUBND xã Bình Thạnh\n\nNguyễn Văn An\n%(ts)s",
                          timestamp_format="%Y-%m-%dT%H:%M:%S%z",
                          text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(NOTO_SANS))), border_width=0)


def stock(pdfs: list[bytes], signer: signers.Signer, tsa_url: str, lt_root=None) -> list[bytes]:
    """pyHanko's `sign_pdf` per document; B-LT (`embed_validation_info`, a fresh context) given a root."""
    style = stock_style()
    out = []
    for pdf in pdfs:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        context = None if lt_root is None else ValidationContext(trust_roots=[lt_root], allow_fetching=True,
                                                                 revocation_mode="hard-fail")
        meta = signers.PdfSignatureMetadata(field_name="Signature1", md_algorithm="sha256",
                                            subfilter=fields.SigSeedSubFilter.PADES,
                                            embed_validation_info=context is not None, validation_context=context)
        pdf_signer = signers.PdfSigner(meta, signer, timestamper=HTTPTimeStamper(tsa_url), stamp_style=style,
                                       new_field_spec=fields.SigFieldSpec("Signature1", on_page=-1, box=BOX))
        result = pdf_signer.sign_pdf(writer)
        out.append(result.getvalue())
    return out


def stock_verified(pdfs: list[bytes], signer: signers.Signer, tsa_url: str, root) -> list[bytes]:
    """Stock B-LT signing, then stock validation of each signature, revocation hard-fail as `sohoa verify`."""
    out = stock(pdfs, signer, tsa_url, lt_root=root)
    for signed in out:
        sig = PdfFileReader(BytesIO(signed), strict=False).embedded_signatures[0]
        status = validate_pdf_signature(sig, signer_validation_context=ValidationContext(
            trust_roots=[root], allow_fetching=True, revocation_mode="hard-fail"))
        assert status.bottom_line, status.pretty_print_details()
    return out


def stock_token_signer(session) -> signers.Signer:
    """pyHanko's own PKCS#11 signer on the official's SoftHSM2 token (opened once: favours stock)."""
    return PKCS11Signer(session, key_label="official", cert_label="official", other_certs_to_pull=None)


def batch(pdfs: list[bytes], signer, tsa_url: str) -> list[bytes]:
    with SigningSession(signer, tsa_url=tsa_url) as session:
        return [session.sign(pdf, STAMP).pdf for pdf in pdfs]


def rate(fn, pdfs: list[bytes], *args) -> tuple[float, list[bytes]]:
    start = time.perf_counter()
    out = fn(pdfs, *args)
    return len(pdfs) / (time.perf_counter() - start), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20, help="documents per side and round")
    parser.add_argument("--pages", type=int, default=10, help="pages of the result PDF")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is reported")
    parser.add_argument("--browser-docs", type=int, default=50, help="results per round of the browser path")
    parser.add_argument("--browser-rounds", type=int, default=1, help="rounds of the browser path")
    parser.add_argument("--only-browser", action="store_true", help="skip the batch-session comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, served_pki(Path(tmp) / "pki") as pki:
        os.environ.update(init_softhsm(Path(tmp) / "hsm", pki, labels=("official",)))
        page = [*BIRTH_FORM, "", "GIẤY KHAI SINH", "Họ, chữ đệm, tên: NGUYỄN THỊ AN"]
        pdf = save_scan(Path(tmp) / "result.pdf", [page] * args.pages, dpi=200).read_bytes()
        pdfs = [pdf] * args.docs
        print(f"result: {args.pages} pages, {len(pdf) / 1e6:.1f} MB; {args.docs} documents per side, "
              f"{args.rounds} rounds, PAdES B-T, TSA {pki.tsa_url}")
        if not args.only_browser:
            session_paths(args, pki, pdfs)
        browser_path(args, pki, pdf, Path(tmp))


def session_paths(args: argparse.Namespace, pki, pdfs: list[bytes]) -> None:
    stock_rates, p12_rates, token_rates = [], [], []
    for _ in range(args.rounds):
        p12 = signers.SimpleSigner.load_pkcs12(str(pki.p12("official")), passphrase=P12_PASSPHRASE)
        r, stock_out = rate(stock, pdfs, p12, pki.tsa_url)
        stock_rates.append(r)
        r, p12_out = rate(batch, pdfs, load_p12(pki.p12("official"), P12_PASSPHRASE), pki.tsa_url)
        p12_rates.append(r)
        with open_token("official", TOKEN_PIN) as token:
            r, token_out = rate(batch, pdfs, token.signer, pki.tsa_url)
        token_rates.append(r)
    for name, out in (("stock", stock_out), ("sohoa p12", p12_out), ("sohoa token", token_out)):
        assert all(verify(o, [pki.root_pem]).ok for o in out[:3]), name  # B-T: revocation asked online
    s, p, t = (statistics.median(x) for x in (stock_rates, p12_rates, token_rates))
    print(f"stock pyHanko sign_pdf per document : {s:6.2f} signatures/s")
    print(f"sohoa batch session, PKCS#12        : {p:6.2f} signatures/s  ({p / s:.1f}x stock)")
    print(f"sohoa batch session, SoftHSM2 token : {t:6.2f} signatures/s  ({t / s:.1f}x stock)")


def browser_path(args: argparse.Namespace, pki, pdf: bytes, tmp: Path) -> None:
    """Prepare, sign in sohoa-agent over HTTP, finish (B-LT, verified, stored): the browser's batch."""
    os.environ.update({"SOHOA_HOME": str(tmp / "var"), "SOHOA_TSA_URL": pki.tsa_url,
                       "SOHOA_TRUST_ROOTS": f'["{pki.root_pem}"]'})
    from settings import Settings
    from workers.browser_signing import Returned, finish_batch, prepare_batch
    from workers.results import add_result, assign
    from workers.services import Services

    services = Services(Settings())
    assign("lanh_dao_ubnd_xa", "chu-tich", services, "bench")
    assign("van_thu", "van-thu", services, "bench")
    source = tmp / "ket-qua.pdf"
    source.write_bytes(pdf)
    n = args.browser_docs
    print(f"browser path: {n} results of {args.pages} pages, {args.browser_rounds} round(s); "
          "sohoa-agent on SoftHSM2 over HTTP; B-LT with live OCSP/CRL")
    with running_agent(tmp / "agent-config", env={"SOFTHSM2_CONF": os.environ["SOFTHSM2_CONF"]}) as agent:
        client = AgentClient(agent.url, origin=SITE)
        client.pair(str(agent.code))
        (cert,) = [c for c in client.certificates() if c.token == "official"]
        times, parts, stock_times, checked_times = [], [], [], []
        for round_ in range(args.browser_rounds):
            task_ids = []
            for i in range(n):
                dossier = services.register.create_dossier(
                    fingerprint=f"{round_:04d}{i:060d}", source_name="ho-so.pdf", agency="H00",
                    code=f"H57.132-26{round_:02d}-{i:04d}", station=None, actor="bench")
                services.register.update(dossier.id, procedure_id="1.001193", procedure_source="reviewer",
                                         state="digitized")
                task_ids.append(add_result(dossier.id, source, services, actor="bench").tasks[0].id)
            start, cpu = time.perf_counter(), time.process_time()
            prepared = prepare_batch("chu-tich", task_ids, cert.der, cert.chain, services)
            prepared_at = time.perf_counter()
            agent.type_pin(TOKEN_PIN)
            signatures = client.sign_digests(cert.fingerprint, [p.to_sign() for p in prepared])
            signed_at = time.perf_counter()
            outcomes = finish_batch("chu-tich", [Returned(s.id, s.signature, p.task_id)
                                                 for s, p in zip(signatures, prepared, strict=True)], services)
            end = time.perf_counter()
            assert all(o.ok and o.level == "B-LT" for o in outcomes), [o.detail for o in outcomes if not o.ok]
            times.append((end - start, time.process_time() - cpu))
            parts.append((prepared_at - start, signed_at - prepared_at, end - signed_at))
            token = open_pkcs11_session(str(SOFTHSM), token_criteria=TokenCriteria(label="official"),
                                        user_pin=TOKEN_PIN)
            try:
                signer = stock_token_signer(token)
                checked_times.append(timed(stock_verified, [pdf] * n, signer, pki.tsa_url, pki.cert("root")))
                stock_times.append(timed(stock, [pdf] * n, signer, pki.tsa_url))
            finally:
                token.close()
    (t, tc), (s, sc), (c, cc) = (tuple(statistics.median(x[i] for x in xs) for i in range(2))
                                 for xs in (times, stock_times, checked_times))
    p, a, f = (statistics.median(x[i] for x in parts) for i in range(3))
    print("(wall seconds; CPU seconds of the signing side in brackets; TSA/OCSP/CRL served by another process)")
    print(f"stock pyHanko B-LT sign_pdf + validate per doc: {n} in {c:6.2f} s [{cc:6.2f}]  {n / c:6.2f} signatures/s")
    print(f"stock pyHanko B-T sign_pdf per doc, unchecked : {n} in {s:6.2f} s [{sc:6.2f}]  {n / s:6.2f} signatures/s")
    print(f"sohoa prepare/agent/finish, B-LT, verified    : {n} in {t:6.2f} s [{tc:6.2f}]  {n / t:6.2f} signatures/s")
    print(f"  {c / t:.1f}x stock with validation ({cc / tc:.1f}x in CPU), {s / t:.1f}x stock signing alone "
          f"({sc / tc:.1f}x in CPU)")
    print(f"  prepare {p:.2f} s, agent (one PIN, {n} signatures over HTTP) {a:.2f} s, "
          f"finish + verify + store {f:.2f} s")


def timed(fn, *args) -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - start, time.process_time() - cpu


if __name__ == "__main__":
    main()
