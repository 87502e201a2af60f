"""`sohoa-agent sign-inbox`: the official signs the waiting results from a terminal, through the
same routes as the Ký số page, with one PIN on a SoftHSM2 token; the site verifies each."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from tests.signing.conftest import pki, tokens  # noqa: F401  (fixtures shared with tests/signing)
from tests.signing.testpki import TOKEN_PIN, LivePki
from tests.web.conftest import PASSWORD, Site
from tests.web.test_signing_pages import CODES, OFFICIAL, site  # noqa: F401  (the signing site fixture)

pytestmark = pytest.mark.slow


def sign_inbox(site: Site, *args: str, password: str = PASSWORD, pin: str = TOKEN_PIN  # noqa: F811
               ) -> subprocess.CompletedProcess[str]:
    """The command as an official runs it; the password through a pipe, the PIN on its prompt (stdin)."""
    read, write = os.pipe()
    os.write(write, password.encode() + b"\n")
    os.close(write)
    try:
        return subprocess.run([sys.executable, "-m", "agent", "sign-inbox", "--site", site.url, "--user", OFFICIAL,
                               "--password-fd", str(read), "--pin-fd", "0", "--json", *args],
                              input=pin + "\n", pass_fds=(read,), capture_output=True, text=True, timeout=300,
                              env=os.environ.copy())
    finally:
        os.close(read)


def test_sign_inbox_signs_every_waiting_result_with_one_pin(site: Site, pki: LivePki,  # noqa: F811
                                                            tokens: dict[str, str]) -> None:  # noqa: F811
    refused = sign_inbox(site, password="khong-dung")
    assert refused.returncode == 2 and json.loads(refused.stdout)["error"] == "login_refused"

    official = hashlib.sha256(pki.cert("official").dump()).hexdigest()
    done = sign_inbox(site, "--certificate", official[:16], "--title", "KT. CHỦ TỊCH")
    assert done.returncode == 0, done.stdout + done.stderr
    outcomes = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(o["code"] for o in outcomes) == sorted(CODES)  # not the other commune's
    assert all(o["ok"] and o["level"] == "B-LT" and o["detail_vi"].startswith("Đã ký") for o in outcomes)
    assert done.stderr.count("xin ký 3 văn bản") == 1  # one PIN prompt for the batch
    register = site.services.register
    for code in CODES:
        first, seal = register.signing_tasks(site.dossiers[code])
        assert (first.state, seal.state) == ("verified", "waiting")  # the clerk's turn has come

    again = sign_inbox(site, "--certificate", official[:16])
    assert again.returncode == 0 and again.stdout == ""  # nothing waits any more
