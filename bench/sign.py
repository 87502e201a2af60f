"""Batch signing (ký hàng loạt) against one-document-at-a-time pyHanko, in the same run.

    .venv/bin/python bench/sign.py [--docs 20] [--pages 10]

Both sides sign the same 10-page scanned result as PAdES B-T with the Vietnamese ND 30 stamp
(Noto Sans), against certomancer's TSA served on loopback, with the same PKCS#12 key:
- stock: plain pyHanko per document (`PdfSigner(...).sign_pdf`, what `signers.sign_pdf` wraps,
  plus the stamp style): a stock `SimpleSigner` (loaded once,
  which favours stock), the stamp style built once with pyHanko's `GlyphAccumulatorFactory`, and
  a new `HTTPTimeStamper` for each document, as a caller signing one file per request does;
- sohoa: one `SigningSession` for the whole batch (p12, and again over a SoftHSM2 token).
It prints signatures per second of each, and the ratio (target: at least 3x stock).
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

from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.pdf_utils.text import TextBoxStyle  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402
from pyhanko.sign.timestamps import HTTPTimeStamper  # noqa: E402
from pyhanko.stamp import TextStampStyle  # noqa: E402

from signing import SignatureAppearance, SigningSession, load_p12, open_token, verify  # noqa: E402
from signing.fonts import NOTO_SANS  # noqa: E402
from tests.conftest import BIRTH_FORM, save_scan  # noqa: E402
from tests.signing.testpki import P12_PASSPHRASE, TOKEN_PIN, init_softhsm, running_pki  # noqa: E402

STAMP = SignatureAppearance(name="Nguyễn Văn An", title="KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH", agency="UBND xã Bình Thạnh")
BOX = (329, 56, 559, 156)


def stock(pdfs: list[bytes], p12: Path, tsa_url: str) -> list[bytes]:
    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=P12_PASSPHRASE)
    style = TextStampStyle(stamp_text="KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nUBND xã Bình Thạnh\n\nNguyễn Văn An\n%(ts)s",
                           timestamp_format="%Y-%m-%dT%H:%M:%S%z",
                           text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(NOTO_SANS))), border_width=0)
    out = []
    for pdf in pdfs:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        meta = signers.PdfSignatureMetadata(field_name="Signature1", md_algorithm="sha256",
                                            subfilter=fields.SigSeedSubFilter.PADES)
        pdf_signer = signers.PdfSigner(meta, signer, timestamper=HTTPTimeStamper(tsa_url), stamp_style=style,
                                       new_field_spec=fields.SigFieldSpec("Signature1", on_page=-1, box=BOX))
        result = pdf_signer.sign_pdf(writer)
        out.append(result.getvalue())
    return out


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_pki(Path(tmp) / "pki") as pki:
        os.environ.update(init_softhsm(Path(tmp) / "hsm", pki, labels=("official",)))
        page = [*BIRTH_FORM, "", "GIẤY KHAI SINH", "Họ, chữ đệm, tên: NGUYỄN THỊ AN"]
        pdf = save_scan(Path(tmp) / "result.pdf", [page] * args.pages, dpi=200).read_bytes()
        pdfs = [pdf] * args.docs
        print(f"result: {args.pages} pages, {len(pdf) / 1e6:.1f} MB; {args.docs} documents per side, "
              f"{args.rounds} rounds, PAdES B-T, TSA {pki.tsa_url}")
        stock_rates, p12_rates, token_rates = [], [], []
        for _ in range(args.rounds):
            r, stock_out = rate(stock, pdfs, pki.p12("official"), pki.tsa_url)
            stock_rates.append(r)
            r, p12_out = rate(batch, pdfs, load_p12(pki.p12("official"), P12_PASSPHRASE), pki.tsa_url)
            p12_rates.append(r)
            with open_token("official", TOKEN_PIN) as token:
                r, token_out = rate(batch, pdfs, token.signer, pki.tsa_url)
            token_rates.append(r)
        for name, out in (("stock", stock_out), ("sohoa p12", p12_out), ("sohoa token", token_out)):
            assert all(verify(o, [pki.root_pem], allow_fetching=False).ok for o in out[:3]), name
        s, p, t = (statistics.median(x) for x in (stock_rates, p12_rates, token_rates))
        print(f"stock pyHanko sign_pdf per document : {s:6.2f} signatures/s")
        print(f"sohoa batch session, PKCS#12        : {p:6.2f} signatures/s  ({p / s:.1f}x stock)")
        print(f"sohoa batch session, SoftHSM2 token : {t:6.2f} signatures/s  ({t / s:.1f}x stock)")


if __name__ == "__main__":
    main()
