"""The web's cost over the register: search page, dossier page and page image through HTTP.

    .venv/bin/python -m bench.web [--pages 1000000] [--users 50] [--runs 30]

The corpus is `bench.search`'s (Zipf-drawn Vietnamese syllables, a third of the pages titled by
their procedure) with the header every real page carries ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
"Ủy ban nhân dân xã ..."), on SQLite. `sohoa web` runs as its own process, as deployed; an
archivist of the corpus's agency signs in and searches (so the agency filter and the audit row of
every request are in the figures). The same queries go through `storage.search` directly in this
process, as the baseline. Queries: a rare pair with and without diacritics, the commonest words
of every page, and a deep results page. Then 50 users search at once, on `--workers` processes
(default: SOHOA_WEB_WORKERS, one per core) and, as the baseline of that line, on one process.
Targets (issue #15): one user p95 < 150 ms, 50 users p95 < 600 ms on 2 cores, HTTP over direct
< 20 ms at p50.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search import AGENCY, PAGES_PER_DOSSIER, corpus, procedure_id
from settings import Settings
from storage.accounts import Accounts, Role
from storage.register import Register
from storage.search import SearchFilters
from tests.conftest import MARRIAGE_FORM, save_scan
from tests.servers import free_port, wait_for_port
from workers.receive import receive
from workers.services import Services

QUERIES = [("ket hon", 1), ("kết hôn", 1), ("ủy ban nhân dân", 1), ("cộng hòa xã hội chủ nghĩa", 1), ("ket hon", 5)]
PASSWORD = "mat-khau-bench-2026"
PER_PAGE = 20


def load(home: Path, pages: int) -> Register:
    """The register of `bench.search` with every page headed as real dossiers are."""
    home.mkdir(parents=True)
    path = home / "sohoa.db"
    register = Register(f"sqlite:///{path}")
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    dossiers = (pages + PAGES_PER_DOSSIER - 1) // PAGES_PER_DOSSIER
    db.executemany(
        "INSERT INTO dossier (id, code, fingerprint, source_name, agency, channel, received_at, procedure_id, "
        "legal_status, state, updated_at) VALUES (?, ?, ?, ?, ?, 1, '2026-01-05', ?, 2, 'digitized', '2026-01-05')",
        ((d, f"{AGENCY}-260105-{d:07d}", f"fp{d}", f"d{d}.pdf", AGENCY, procedure_id((d - 1) % 20))
         for d in range(1, dossiers + 1)))
    db.executemany("INSERT INTO search_index (folded, exact, dossier_id, page) VALUES (?, ?, ?, ?)",
                   ((f, e, d, p) for d, p, f, e in corpus(pages)))  # headed as real pages are
    db.commit()
    db.execute("INSERT INTO search_index(search_index) VALUES('optimize')")
    db.commit()
    db.close()
    return register


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def sign_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/login").text
    csrf = form.split('name="csrf" value="')[1].split('"')[0]
    answer = client.post("/login", data={"username": "luu.tru", "password": PASSWORD, "csrf": csrf})
    assert answer.status_code == 303, answer.text
    return client


def timed_get(client: httpx.Client, path: str, params: dict | None = None) -> float:
    started = time.perf_counter()
    answer = client.get(path, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise RuntimeError(f"{path} {params}: HTTP {answer.status_code}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--workers", type=int, default=0, help="web processes (0: SOHOA_WEB_WORKERS' default)")
    parser.add_argument("--keep", type=Path, help="load the register into this folder and keep it; a later run "
                        "with the same folder (and --pages) searches it again without loading")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-web-") as tmp:
        root = args.keep or Path(tmp)
        home = root / "var"
        started = time.perf_counter()
        if (root / "loaded").exists():
            register = Register(f"sqlite:///{home / 'sohoa.db'}")
            settings = Settings(home=home, agency=AGENCY)
            dossier_id = int((root / "loaded").read_text().split()[1])
            print(f"register: {(root / 'loaded').read_text().split()[0]} pages on SQLite, kept in {root}", flush=True)
        else:
            register = load(home, args.pages)
            settings = Settings(home=home, agency=AGENCY)
            scan = save_scan(root / f"{AGENCY}-260301-0001.pdf", [MARRIAGE_FORM])
            received = receive(scan, Services(settings), actor="bench", remove_source=False).dossier_id
            assert received is not None
            dossier_id = received
            register.replace_pages(dossier_id, [{"number": 1, "text": "\n".join(MARRIAGE_FORM), "confidence": 91.0}])
            Accounts(register).add_user("luu.tru", Role.ARCHIVIST, (AGENCY,), PASSWORD)
            (root / "loaded").write_text(f"{args.pages} {dossier_id}\n")
            print(f"register: {args.pages:,} pages on SQLite, loaded in {time.perf_counter() - started:.0f} s",
                  flush=True)
        workers = args.workers or settings.web_processes
        with serve(home, workers) as base:
            run(base, register, dossier_id, args, workers)
        with serve(home, 1) as base:  # the baseline: the same users on one process
            burst(base, args.users, "1 process")


@contextmanager
def serve(home: Path, workers: int) -> Iterator[str]:
    """`sohoa web --workers N` on the register, as deployed; its address."""
    port = free_port()
    env = os.environ | {"SOHOA_HOME": str(home), "SOHOA_AGENCY": AGENCY, "SOHOA_WEB_PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-m", "sohoa", "web", "--workers", str(workers)], env=env,
                              stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port, timeout=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(30)


def run(base: str, register: Register, dossier_id: int, args: argparse.Namespace, workers: int) -> None:
    client = sign_in(base)
    filters = SearchFilters(agencies=(AGENCY,))
    one_user: list[float] = []
    for query, page in QUERIES:
        params = {"q": query, "page": page}
        limit = (page - 1) * PER_PAGE + PER_PAGE + 1
        for _ in range(3):  # warm both paths
            timed_get(client, "/search", params)
            register.search(query, filters=filters, limit=limit)
        http, direct = [], []
        for _ in range(args.runs):
            http.append(timed_get(client, "/search", params))
            t = time.perf_counter()
            register.search(query, filters=filters, limit=limit)
            direct.append((time.perf_counter() - t) * 1000)
        one_user += http
        (h50, h95), (d50, d95) = percentiles(http), percentiles(direct)
        verdict = "ok" if h95 < 150 and h50 - d50 < 20 else "SLOW"
        print(f"search {query!r:<30} page {page}: HTTP p50 {h50:7.1f} p95 {h95:7.1f} ms | direct p50 {d50:7.1f} "
              f"p95 {d95:7.1f} ms | overhead p50 {h50 - d50:+6.1f} ms  {verdict}", flush=True)
    u50, u95 = percentiles(one_user)
    print(f"search, one user, all queries: p50 {u50:.1f} ms, p95 {u95:.1f} ms (target p95 < 150)", flush=True)
    for label, path in (("dossier page", f"/dossiers/{dossier_id}"),
                        ("page image (full, cached after the first)", f"/dossiers/{dossier_id}/pages/1/image")):
        first = timed_get(client, path)
        times = [timed_get(client, path) for _ in range(args.runs)]
        p50, p95 = percentiles(times)
        print(f"{label}: first {first:.1f} ms, p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
    burst(base, args.users, f"{workers} processes")


def burst(base: str, users: int, label: str) -> None:
    """`users` people signed in, each searching 4 times in a row, all at once; no error is hidden."""
    clients = [sign_in(base) for _ in range(users)]
    errors: list[str] = []

    def user(n: int) -> list[float]:
        out = []
        for i in range(4):
            query, page = QUERIES[(n + i) % len(QUERIES)]
            try:
                out.append(timed_get(clients[n], "/search", {"q": query, "page": page}))
            except Exception as error:  # counted, not hidden
                errors.append(str(error))
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(users) as pool:
        times = [t for result in pool.map(user, range(users)) for t in result]
    wall = time.perf_counter() - started
    p50, p95 = percentiles(times) if times else (float("nan"), float("nan"))
    verdict = "ok" if p95 < 600 and not errors else "SLOW" if not errors else "ERRORS"
    print(f"search, {users} users at once, {label}: {len(times)} requests in {wall:.1f} s "
          f"({len(times) / wall:.0f}/s), p50 {p50:.1f} ms, p95 {p95:.1f} ms, {len(errors)} errors "
          f"(target p95 < 600)  {verdict}", flush=True)
    for client in clients:
        client.close()


if __name__ == "__main__":
    main()
