"""The test PKI (TSA, OCSP, CRL) served by a process of its own, for benchmarks.

A CA's timestamp authority and OCSP responder run on another machine. Served in a thread of the
benchmark's own process (as the tests do), every timestamp the TSA issues would be CPU of the
process being measured, and would take the interpreter lock from it: 90 ms a timestamp here,
counted against sohoa and stock alike. In a process of its own, the services cost what a remote
CA costs a signer: the wait for the answer.

    python -m bench.pki_server FOLDER    # prints the URL, serves until stdin closes
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def served_pki(folder: Path) -> Iterator:
    """`tests.signing.testpki.running_pki` in a child process; yields the same `LivePki`."""
    from certomancer.registry import ArchLabel, CertomancerConfig

    from tests.signing.testpki import ARCH, CONFIG, LivePki

    child = subprocess.Popen([sys.executable, "-m", "bench.pki_server", str(folder)], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None
    try:
        url = child.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the PKI process did not start (it said {url!r})")
        # certomancer issues deterministically from the same keys and URL: the same certificates
        arch = CertomancerConfig.from_file(str(CONFIG), key_search_dir=str(folder),
                                           external_url_prefix=url).get_pki_arch(ArchLabel(ARCH))
        yield LivePki(folder=folder, url=url, arch=arch)
    finally:
        child.stdin.close()
        child.wait(timeout=10)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.signing.testpki import running_pki

    with running_pki(Path(sys.argv[1])) as pki:
        print(pki.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
