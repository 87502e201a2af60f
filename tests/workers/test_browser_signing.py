"""Browser signing end to end, without the browser: the server prepares, the agent signs, the server finishes.

The agent runs in another process on a SoftHSM2 token, reached over its real HTTP as the signing
page would reach it; certomancer's animator answers TSA, OCSP and CRL, so signatures are B-LT.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from settings import Settings
from signing import StepNotReady
from signing.remote import AgentClient, TokenCertificate
from storage.models import SigningTask
from tests.agent.running import SITE, RunningAgent, running_agent
from tests.conftest import BIRTH_FORM, save_scan
from tests.signing.testpki import TOKEN_PIN, LivePki
from workers.browser_signing import Refused, Returned, finish_batch, prepare_batch, signatures_from
from workers.results import add_result, assign, inbox
from workers.services import Services

pytestmark = pytest.mark.slow

OFFICIAL, CLERK = "chu-tich", "van-thu"
AGENT_JS = Path(__file__).resolve().parents[2] / "agent" / "sohoa-agent.js"


@pytest.fixture
def services(settings: Settings, pki: LivePki, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.setenv("SOHOA_TSA_URL", pki.tsa_url)
    monkeypatch.setenv("SOHOA_TRUST_ROOTS", json.dumps([str(pki.root_pem)]))
    services = Services(Settings())
    assign("lanh_dao_ubnd_xa", OFFICIAL, services, "test")
    assign("van_thu", CLERK, services, "test")
    return services


@pytest.fixture
def results(services: Services, tmp_path: Path) -> list[tuple[int, list[SigningTask]]]:
    """Three filed birth-registration dossiers, each with a result waiting for the commune leader, then the clerk."""
    made = []
    for n in range(3):
        dossier = services.register.create_dossier(fingerprint=f"{n}" * 64, source_name="ho-so.pdf", agency="H00",
                                                   code=f"H57.132-260804-058{n}", station=None, actor="test")
        services.register.update(dossier.id, procedure_id="1.001193", procedure_source="reviewer",
                                 state="digitized")
        pdf = save_scan(tmp_path / f"ket-qua-{n}.pdf", [BIRTH_FORM, [f"Kết quả số {n}"]], dpi=100)
        made.append((dossier.id, add_result(dossier.id, pdf, services, actor="test").tasks))
    return made


@pytest.fixture
def page(tokens: dict[str, str], tmp_path: Path) -> Iterator[tuple[RunningAgent, AgentClient]]:
    """The official's agent, paired with the site, and the site's page talking to it."""
    with running_agent(tmp_path / "agent-config", env=tokens) as agent:
        client = AgentClient(agent.url, origin=SITE)
        assert agent.code is not None
        client.pair(agent.code)
        yield agent, client


def on_token(client: AgentClient, token: str) -> TokenCertificate:
    (cert,) = [c for c in client.certificates() if c.token == token]
    return cert


def sohoa(*args: str, pin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sohoa", *args], capture_output=True, text=True, timeout=300,
                          input=f"{pin}\n" if pin is not None else None, env=os.environ.copy())


def test_official_signs_three_with_one_pin_then_the_clerk_seals(services: Services, results, page,
                                                                 pki: LivePki) -> None:
    agent, client = page
    official = on_token(client, "official")
    first_steps = [tasks[0].id for _, tasks in results]
    assert sorted(t.id for t in inbox(services, OFFICIAL)) == sorted(first_steps)

    prepared = prepare_batch(OFFICIAL, first_steps, official.der, official.chain, services, title="KT. CHỦ TỊCH")
    assert [p.task_id for p in prepared] == first_steps
    agent.type_pin(TOKEN_PIN)  # one PIN, in the agent's own prompt, for the three
    signatures = client.sign_digests(official.fingerprint, [p.to_sign() for p in prepared])
    outcomes = finish_batch(OFFICIAL, [Returned(s.id, s.signature, p.task_id)
                                       for s, p in zip(signatures, prepared, strict=True)], services)
    assert [(o.ok, o.level) for o in outcomes] == [(True, "B-LT")] * 3, [o.detail for o in outcomes]
    assert all(o.detail_vi.startswith("Đã ký") for o in outcomes)
    assert inbox(services, OFFICIAL) == []

    seal_steps = [str(tasks[1].id) for _, tasks in results]
    sealed = sohoa("sign", *seal_steps, "--as", CLERK, "--token", "seal", "--pin-fd", "0", "--json", pin=TOKEN_PIN)
    assert sealed.returncode == 0, sealed.stderr

    for dossier_id, _ in results:
        dossier = services.register.get(dossier_id)
        assert dossier is not None and dossier.legal_status == 9
        final = services.register.files(dossier_id, "signed_result")[-1]
        verdict = sohoa("verify", str(services.settings.objects / final.object_key), "--trust", str(pki.root_pem),
                        "--json")
        assert verdict.returncode == 0, verdict.stdout
        signers = [s["signer"] for s in json.loads(verdict.stdout)["signatures"] if s["kind"] == "signature"]
        assert signers == ["Nguyễn Văn An", pki.cert("seal").subject.native["common_name"]]


def test_refusals_leave_the_tasks_waiting(services: Services, results, page, monkeypatch: pytest.MonkeyPatch) -> None:
    agent, client = page
    official, seal = on_token(client, "official"), on_token(client, "seal")
    (one, *_), (two, *_), (three, *_) = (tasks for _, tasks in results)

    with pytest.raises(StepNotReady):  # the clerk's turn has not come
        prepare_batch(CLERK, [results[0][1][1].id], seal.der, seal.chain, services)
    with pytest.raises(StepNotReady):  # not assigned to this role
        prepare_batch("pho-chu-tich", [one.id], official.der, official.chain, services)

    first, second, third = prepare_batch(OFFICIAL, [one.id, two.id, three.id], official.der, official.chain,
                                         services)
    agent.type_pin(TOKEN_PIN)
    by_seal = client.sign_digests(seal.fingerprint, [third.to_sign()])  # the wrong certificate's key
    agent.type_pin(TOKEN_PIN)
    good_first, _ = client.sign_digests(official.fingerprint, [first.to_sign(), second.to_sign()])

    outcomes = finish_batch(OFFICIAL, [
        Returned(second.id, good_first.signature),  # first's signature replayed as second's
        Returned(first.id, good_first.signature, task_id=two.id),  # first's preparation sent for another task
        Returned(third.id, by_seal[0].signature),
    ], services)
    assert [o.refused for o in outcomes] == [Refused.bad_signature, Refused.other_task, Refused.bad_signature]
    assert all(not o.ok and o.detail_vi for o in outcomes)
    assert finish_batch("pho-chu-tich", [Returned(first.id, good_first.signature)], services)[0].refused \
        is Refused.other_user

    accepted = finish_batch(OFFICIAL, [Returned(first.id, good_first.signature, task_id=one.id)], services)
    assert accepted[0].ok, accepted[0].detail
    again = finish_batch(OFFICIAL, [Returned(first.id, good_first.signature, task_id=one.id)], services)
    assert again[0].refused in (Refused.used, Refused.unknown)
    assert sorted(t.id for t in inbox(services, OFFICIAL)) == sorted([two.id, three.id])

    monkeypatch.setenv("SOHOA_SIGN_PREPARE_MINUTES", "0")
    hurried = Services(Settings())
    (late,) = prepare_batch(OFFICIAL, [two.id], official.der, official.chain, hurried)
    agent.type_pin(TOKEN_PIN)
    (late_signature,) = client.sign_digests(official.fingerprint, [late.to_sign()])
    assert finish_batch(OFFICIAL, [Returned(late.id, late_signature.signature)], hurried)[0].refused \
        is Refused.expired
    assert sorted(t.id for t in inbox(services, OFFICIAL)) == sorted([two.id, three.id])

    # The same task prepared in two tabs, both signatures (and one twice) sent in one batch: signed once.
    (tab1,), (tab2,) = (prepare_batch(OFFICIAL, [two.id], official.der, official.chain, services) for _ in "12")
    agent.type_pin(TOKEN_PIN)
    sig1, sig2 = client.sign_digests(official.fingerprint, [tab1.to_sign(), tab2.to_sign()])
    twice = finish_batch(OFFICIAL, [Returned(tab1.id, sig1.signature), Returned(tab2.id, sig2.signature),
                                    Returned(tab1.id, sig1.signature)], services)
    assert [(o.ok, o.refused) for o in twice] == [(True, None), (False, Refused.not_turn), (False, Refused.used)]
    assert len(services.register.files(two.dossier_id, "signed_result")) == 1
    assert [t.id for t in inbox(services, OFFICIAL)] == [three.id]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """A static site on loopback standing in for the sohoa site's signing page (its origin is what matters)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_page_signs_through_the_agent_in_chromium(services: Services, results, tokens: dict[str, str],
                                                       tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(AGENT_JS, site / "sohoa-agent.js")
    (site / "index.html").write_text('<!doctype html><meta charset="utf-8"><title>Ký số</title>'
                                     '<script src="sohoa-agent.js"></script>', encoding="utf-8")
    with serving(site) as origin, serving(site) as other_origin, \
            running_agent(tmp_path / "agent-config", site=origin, env=tokens) as agent, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(origin + "/index.html")
        page.evaluate("([url, code]) => new SohoaAgent(url).pair(code)", [agent.url, agent.code])
        certs = page.evaluate("url => new SohoaAgent(url).certificates()", agent.url)
        (official,) = [TokenCertificate.from_wire(c) for c in certs if c["token"] == "official"]

        tasks = [tasks[0].id for _, tasks in results]
        # The server's calls run off the browser driver's event loop, as a web route runs them in a thread pool.
        server = ThreadPoolExecutor(1)
        prepared = server.submit(prepare_batch, OFFICIAL, tasks, official.der, official.chain, services).result()
        agent.type_pin(TOKEN_PIN)
        signed = page.evaluate("([url, fp, items]) => new SohoaAgent(url).sign(fp, items)",
                               [agent.url, official.fingerprint, [p.to_dict() for p in prepared]])
        returned = signatures_from([{"preparation": s["id"], "signature": s["signature"], "task": p.task_id}
                                    for s, p in zip(signed, prepared, strict=True)])
        outcomes = server.submit(finish_batch, OFFICIAL, returned, services).result()
        assert all(o.ok for o in outcomes), [o.detail for o in outcomes]

        agent.type_pin("000000")
        wrong = page.evaluate("""([url, fp, items]) => new SohoaAgent(url).sign(fp, items).then(
            () => null, e => ({code: e.code, vi: e.messageVi, wrongPins: e.wrongPins}))""",
                              [agent.url, official.fingerprint, [p.to_dict() for p in prepared]])
        assert wrong["code"] == "wrong_pin" and wrong["wrongPins"] == 1 and "PIN" in wrong["vi"]

        stranger = browser.new_page()
        stranger.goto(other_origin + "/index.html")
        refused = stranger.evaluate("url => new SohoaAgent(url).status().then(() => null, e => e.code)", agent.url)
        assert refused == "unreachable"  # the browser itself withholds the answer: no CORS for this origin
        browser.close()
