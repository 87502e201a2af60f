"""What sohoa's stricter verification policy costs, against plain pyHanko, in the same run.

    .venv/bin/python -m bench.verify [--files 20] [--pages 10] [--rounds 3]

Both sides verify the same 10-page scanned result signed by the test PKI (certomancer's TSA, OCSP
and CRLs served on loopback), as PAdES B-T and as B-LTA online, and as B-LTA offline from the
file's DSS (no network: what the policy costs in CPU alone):
- pyhanko: a reader per file and `validate_pdf_signature` over a fresh `ValidationContext`
  (trust root, fetching allowed, pyHanko's default soft-fail revocation), its difference analysis
  included: what a caller of pyHanko's documented API gets;
- sohoa: `signing.verify`, i.e. the same validation with hard-fail revocation, plus the qpdf
  reading of every revision, the allow-list of changes after the last signature, the form checks
  and the certificate policy.
It prints verifications per second of each and the cost of the policy (target: at most 30%), then
the start-up time of `sohoa verify --help` against `python -c pass`, and the import time of what
the verify command itself loads (the rest of `sohoa --help` is the command modules' business).
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign.validation import validate_pdf_signature  # noqa: E402
from pyhanko.sign.validation.dss import DocumentSecurityStore  # noqa: E402
from pyhanko_certvalidator import ValidationContext  # noqa: E402

from signing import Level, SigningSession, Verdict, load_p12, verify  # noqa: E402
from signing.trust import collect_roots  # noqa: E402
from tests.conftest import BIRTH_FORM, save_scan  # noqa: E402
from tests.signing.testpki import P12_PASSPHRASE, running_pki  # noqa: E402


def plain_pyhanko(pdf: bytes, roots: list) -> bool:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    sig = reader.embedded_regular_signatures[0]
    context = ValidationContext(trust_roots=roots, allow_fetching=True)
    status = validate_pdf_signature(sig, signer_validation_context=context, ts_validation_context=context)
    return status.bottom_line


def plain_pyhanko_offline(pdf: bytes, roots: list) -> bool:
    """pyHanko over the file's own DSS, no network: the CPU cost alone."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    sig = reader.embedded_regular_signatures[0]
    context = DocumentSecurityStore.read_dss(reader).as_validation_context(
        {"trust_roots": roots, "allow_fetching": False})
    status = validate_pdf_signature(sig, signer_validation_context=context, ts_validation_context=context)
    return status.bottom_line


def sohoa(pdf: bytes, roots: list) -> bool:
    return verify(pdf, roots).verdict is Verdict.VALID


def sohoa_offline(pdf: bytes, roots: list) -> bool:
    return verify(pdf, roots, allow_fetching=False).verdict is Verdict.VALID


def rate(check, pdf: bytes, roots: list, files: int) -> float:
    start = time.perf_counter()
    for _ in range(files):
        if not check(pdf, roots):
            raise SystemExit(f"{check.__name__} refused an honest file")
    return files / (time.perf_counter() - start)


def startup(argv: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20, help="verifications per side and round")
    parser.add_argument("--pages", type=int, default=10, help="pages of the signed result")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is reported")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # pyHanko logs its difference analysis; not part of the cost
    with tempfile.TemporaryDirectory() as tmp, running_pki(Path(tmp) / "pki") as pki:
        pages = [BIRTH_FORM if n % 2 == 0 else ["GIẤY KHAI SINH", f"Trang {n + 1}"] for n in range(args.pages)]
        result = save_scan(Path(tmp) / "ket-qua.pdf", pages, dpi=100).read_bytes()
        roots = collect_roots([pki.root_pem])
        signed = {}
        for level in (Level.B_T, Level.B_LTA):
            with SigningSession(load_p12(pki.p12("official"), P12_PASSPHRASE), level=level, tsa_url=pki.tsa_url,
                                trust_roots=[pki.root_pem]) as session:
                signed[level] = session.sign(result).pdf
        print(f"{args.pages}-page result, {args.files} verifications per side, median of {args.rounds} rounds")
        cases = [("B-T", signed[Level.B_T], plain_pyhanko, sohoa),
                 ("B-LTA", signed[Level.B_LTA], plain_pyhanko, sohoa),
                 ("B-LTA offline", signed[Level.B_LTA], plain_pyhanko_offline, sohoa_offline)]
        for name, pdf, baseline, ours_fn in cases:
            stock = statistics.median(rate(baseline, pdf, roots, args.files) for _ in range(args.rounds))
            ours = statistics.median(rate(ours_fn, pdf, roots, args.files) for _ in range(args.rounds))
            print(f"{name:13} ({len(pdf) / 1024:.0f} KB): pyhanko {stock:6.1f}/s   sohoa {ours:6.1f}/s   "
                  f"policy cost {100 * (1 - ours / stock):+.0f}% (target: at most 30%)")
    python = sys.executable
    bare = startup([python, "-c", "pass"])
    command = startup([python, "-m", "sohoa", "verify", "--help"])
    own = startup([python, "-c", "import signing, settings"])
    print(f"start-up: python -c pass {bare * 1000:.0f} ms   sohoa verify --help {command * 1000:.0f} ms "
          f"(+{(command - bare) * 1000:.0f} ms)")
    print(f"          imports of the verify command itself (signing, settings): {(own - bare) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
