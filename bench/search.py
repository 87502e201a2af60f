"""Search latency at province scale: p50/p95 over synthetic Vietnamese pages, SQLite and PostgreSQL.

    .venv/bin/python -m bench.search [--pages 100000 1000000] [--backends sqlite postgresql] [--runs 40]
    .venv/bin/python -m bench.search --pages 10000000 --backends postgresql --keep /var/tmp/pg10m [--jobs 2]
    .venv/bin/python -m bench.search --pages 1000000 --backends sqlite --keep /var/tmp/sqlite1m

The corpus: dossiers of 10 pages; every page starts with the header every real page carries
(HEADER: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM ... Ủy ban nhân dân xã ...") followed by ~80 words
drawn (Zipf) from a vocabulary of Vietnamese syllables built from real onsets, rhymes and tones,
and a third of the pages carry the title phrase of their dossier's procedure (one of 20: "đăng ký
khai sinh", "đăng ký kết hôn", ...). Pages go in through the real schema (the register's Alembic
migrations) with bulk inserts (SQLite) or COPY from `--jobs` loaders, the GIN index built after
the load (PostgreSQL, a cluster from the Debian binaries as tests/servers.py starts them; with
`--keep` it stays in that directory, with its pages, for the next run, which applies any newer
migration). Queries go through `storage.search.search`, the same function `sohoa search` and the
web call, scoped to the corpus' agency as an archivist's are: the rare pair "kết hôn" (one page
in sixty) with and without diacritics, with a procedure filter, the commonest words (on every
page), the commonest words with the rare pair, and a deep results page. Targets: p95 < 100 ms at
1M pages, < 200 ms at 10M (issue #15).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import pwd
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.register import Register
from storage.search import SearchFilters, search
from tests.servers import PG_BIN, PostgresServer
from vntext import fold

ONSETS = ["", "b", "c", "ch", "d", "đ", "g", "gi", "h", "k", "kh", "l", "m", "n", "ng", "nh", "ph", "qu",
          "r", "s", "t", "th", "tr", "v", "x"]
RHYMES = ["a", "ai", "am", "an", "ang", "anh", "ao", "at", "ay", "ăn", "ăng", "âm", "ân", "âu", "e", "em", "en",
          "eo", "ê", "ên", "ênh", "i", "ia", "iêm", "iên", "iêt", "inh", "o", "oa", "oai", "oan", "oc", "oi",
          "om", "on", "ong", "ô", "ôi", "ông", "ơ", "ơi", "ơn", "u", "ua", "uân", "ui", "un", "ung", "uy", "uyên",
          "ư", "ưa", "ươi", "ương", "ưu"]
TONES = ["", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"]
PROCEDURES = ["đăng ký khai sinh", "đăng ký kết hôn", "đăng ký khai tử", "chứng thực bản sao",
              "cấp giấy phép xây dựng", "đăng ký thường trú", "cấp đổi giấy chứng nhận quyền sử dụng đất",
              "đăng ký hộ kinh doanh", "xác nhận tình trạng hôn nhân", "cấp phiếu lý lịch tư pháp",
              "đăng ký giám hộ", "nhận cha mẹ con", "trợ cấp xã hội", "đăng ký tạm trú", "thay đổi hộ tịch",
              "cấp bản sao trích lục", "đăng ký lại khai sinh", "chuyển mục đích sử dụng đất",
              "cấp giấy phép kinh doanh", "hỗ trợ hộ nghèo"]
AGENCY = "H00"
HEADER = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập Tự do Hạnh phúc Ủy ban nhân dân xã Bình Thạnh"
"""Every real page starts so: its words match every page of the register."""
PER_PAGE = 20
# (query, procedure index filter or None, results page of PER_PAGE): the queries of bench.web, plus a filter
# and the commonest words with a rarer pair (on SQLite, FTS5 seeks through the common doclists)
QUERIES = [("kết hôn", None, 1), ("ket hon", None, 1), ("ket hon", 1, 1), ("ủy ban nhân dân", None, 1),
           ("cộng hòa xã hội chủ nghĩa", None, 1), ("ủy ban nhân dân kết hôn", None, 1), ("ket hon", None, 5)]
PAGES_PER_DOSSIER = 10
BATCH = 20_000
CHUNK = 500_000  # pages a PostgreSQL loader copies and commits at a time


def vocabulary(size: int, rng: random.Random) -> list[str]:
    import unicodedata

    words: set[str] = set()
    while len(words) < size:
        rhyme = rng.choice(RHYMES)
        tone = rng.choice(TONES)
        # the tone mark sits on the rhyme's first vowel: good enough for lexical realism
        word = unicodedata.normalize("NFC", rng.choice(ONSETS) + rhyme[0] + tone + rhyme[1:])
        words.add(word)
    return sorted(words)


def corpus(pages: int, seed: int = 7, first: int = 0) -> Iterator[tuple[int, int, str, str]]:
    """(dossier id, page number, folded text, exact text) for pages `first` to `pages`, each headed by HEADER.

    Each batch of BATCH pages draws from its own seeded generator, so loaders can make ranges of
    the same corpus in parallel; `first` is a multiple of BATCH.
    """
    rng = random.Random(seed)
    vocab = vocabulary(4000, rng) + [w for p in PROCEDURES for w in p.split()]
    folded_vocab = [fold(w).lower() for w in vocab]
    titles = [(p, fold(p).lower()) for p in PROCEDURES]
    header_folded = fold(HEADER).lower()
    for start in range(first, pages, BATCH):
        gen = np.random.default_rng([seed, start // BATCH])
        n = min(BATCH, pages - start)
        ranks = np.minimum(gen.zipf(1.15, size=(n, 80)) - 1, len(vocab) - 1)
        titled = gen.random(n) < 0.33
        for i in range(n):
            number = start + i
            dossier = number // PAGES_PER_DOSSIER + 1
            idx = ranks[i]
            exact = " ".join(vocab[j] for j in idx)
            folded = " ".join(folded_vocab[j] for j in idx)
            if titled[i]:
                title, title_folded = titles[(dossier - 1) % len(titles)]
                exact, folded = f"Tờ khai {title} {exact}", f"to khai {title_folded} {folded}"
            yield dossier, number % PAGES_PER_DOSSIER + 1, f"{header_folded} {folded}", f"{HEADER} {exact}"


def procedure_id(index: int) -> str:
    return f"1.{index:06d}"


def dossier_code(dossier: int) -> str:
    return f"{AGENCY}-260105-{dossier:07d}"


def load_sqlite(path: Path, pages: int) -> Register:
    register = Register(f"sqlite:///{path}")
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    dossiers = (pages + PAGES_PER_DOSSIER - 1) // PAGES_PER_DOSSIER
    db.executemany(
        "INSERT INTO dossier (id, code, fingerprint, source_name, agency, channel, received_at, procedure_id, "
        "legal_status, state, updated_at) VALUES (?, ?, ?, ?, ?, 1, '2026-01-05', ?, 2, 'digitized', '2026-01-05')",
        ((d, dossier_code(d), f"fp{d}", f"d{d}.pdf", AGENCY, procedure_id((d - 1) % len(PROCEDURES)))
         for d in range(1, dossiers + 1)))
    db.executemany("INSERT INTO search_index (folded, exact, dossier_id, page) VALUES (?, ?, ?, ?)",
                   ((f, e, d, p) for d, p, f, e in corpus(pages)))
    db.commit()
    db.execute("INSERT INTO search_index(search_index) VALUES('optimize')")
    db.commit()
    db.close()
    return register


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def copy_pages(dsn: str, first: int, last: int, pages: int) -> int:
    """COPY the corpus' pages `first` to `last` in one transaction (one loader process of several)."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        conn.execute("SET session_replication_role = replica")
        with conn.cursor().copy("COPY search_index (dossier_id, page, folded, exact) FROM STDIN") as copy:
            buffer = io.StringIO()
            for n, (d, p, f, e) in enumerate(corpus(last, first=first), start=1):
                buffer.write(f"{d}\t{p}\t{f}\t{e}\n")
                if n % BATCH == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
    log(f"pages {first:,} to {last:,} of {pages:,} committed ({(last - first) / (time.perf_counter() - started):,.0f}"
        " pages/s in this loader)")
    return last - first


def load_postgres(url: str, pages: int, jobs: int) -> Register:
    """Load through COPY into the tables the migrations made, `jobs` loaders at once, the GIN index after.

    Bench-only shortcuts, none of which changes the schema: the GIN indexes are dropped for the
    load and rebuilt from the definitions the migrations give them, and the foreign key's trigger is off
    for the load (session_replication_role), the corpus' dossier ids being right by construction.
    Each CHUNK of pages commits by itself; an interrupted load goes on from the chunks committed.
    """
    import psycopg

    log("applying the register's migrations")
    register = Register(url)  # the production schema, through the migrations
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    dossiers = (pages + PAGES_PER_DOSSIER - 1) // PAGES_PER_DOSSIER
    definitions = gin_definitions(dsn)
    with psycopg.connect(dsn) as conn:
        if conn.execute("SELECT count(*) FROM dossier").fetchall()[0][0] == dossiers:
            chunks = [(first, min(first + CHUNK, pages)) for first in range(0, pages, CHUNK)
                      if not conn.execute("SELECT 1 FROM search_index WHERE dossier_id = %s AND page = %s",
                                          (first // PAGES_PER_DOSSIER + 1, first % PAGES_PER_DOSSIER + 1)).fetchall()]
            log(f"going on with {len(chunks)} chunks of {CHUNK:,} pages not yet committed")
        else:
            chunks = [(first, min(first + CHUNK, pages)) for first in range(0, pages, CHUNK)]
            copy_dossiers(conn, dossiers)
        if chunks:
            for name in definitions:
                conn.execute(f"DROP INDEX IF EXISTS {name}")
            conn.commit()
    log(f"{dossiers:,} dossiers; {sum(b - a for a, b in chunks):,} pages by {jobs} loaders")
    started = time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        done = 0
        for count in pool.map(copy_pages, *zip(*((dsn, a, b, pages) for a, b in chunks), strict=True)):
            done += count
    log(f"{done:,} pages copied in {time.perf_counter() - started:.0f} s")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '2GB'")
        have = {name for (name,) in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'search_index'")}
        for name, definition in definitions.items():
            if name not in have:
                log(f"building {name}")
                conn.execute(definition)
        log("GIN indexes built; analyzing")
        conn.execute("ANALYZE search_index")
        conn.execute("ANALYZE dossier")
    return register


def gin_definitions(dsn: str) -> dict[str, str]:
    """The GIN indexes of search_index as the migrations define them, read from a scratch database they make."""
    import psycopg

    scratch = "bench_schema"
    server = psycopg.conninfo.conninfo_to_dict(dsn)
    admin = psycopg.conninfo.make_conninfo(dsn, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        conn.execute(f'CREATE DATABASE "{scratch}"')
    url = f"postgresql+psycopg://{server['user']}@{server['host']}:{server['port']}/{scratch}"
    Register(url).engine.dispose()
    with psycopg.connect(psycopg.conninfo.make_conninfo(dsn, dbname=scratch)) as conn:
        rows = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_index' "
                            "AND indexdef LIKE '%USING gin%'").fetchall()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{scratch}"')
    return {str(name): str(definition) for name, definition in rows}


def copy_dossiers(conn: Any, dossiers: int) -> None:
    """The corpus' dossiers, all of the bench's agency (a psycopg connection)."""
    with conn.cursor().copy("COPY dossier (id, code, fingerprint, source_name, agency, channel, received_at, "
                            "procedure_id, legal_status, state, updated_at) FROM STDIN") as copy:
        for d in range(1, dossiers + 1):
            copy.write_row((d, dossier_code(d), f"fp{d}", f"d{d}.pdf", AGENCY, 1, "2026-01-05",
                            procedure_id((d - 1) % len(PROCEDURES)), 2, "digitized", "2026-01-05"))
    conn.execute("SELECT setval('dossier_id_seq', %s)", (dossiers,))
    conn.commit()


Figures = dict[str, tuple[float, float, int]]  # query -> p50 ms, p95 ms, hits


def measure(register: Register, runs: int, warmup: int = 3) -> Figures:
    out = {}
    for query, proc, page in QUERIES:
        filters = SearchFilters(agencies=(AGENCY,), procedure=procedure_id(proc) if proc is not None else None)
        limit = page * PER_PAGE + 1  # as the web asks for a results page (one more: is there a next page?)
        times, hits = [], 0
        for _ in range(runs + warmup):
            with register.session() as s:
                started = time.perf_counter()
                hits = len(search(s, query, filters=filters, limit=limit))
                times.append((time.perf_counter() - started) * 1000)
        times = sorted(times[warmup:])
        label = query + (f" [procedure {procedure_id(proc)}]" if proc is not None else "")
        label += f" page {page}" if page > 1 else ""
        out[label] = (statistics.median(times), times[math.ceil(0.95 * len(times)) - 1], hits)  # nearest rank
    return out


class KeptPostgres(PostgresServer):
    """A cluster in a directory of one's choosing that outlives the run (`--keep`): load 10M pages once."""

    OPTIONS = ("-c wal_level=minimal -c max_wal_senders=0 -c max_wal_size=8GB -c checkpoint_timeout=1h "
               "-c autovacuum=off")

    def __init__(self, root: Path) -> None:
        super().__init__()
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = root
        self.data = root / "data"
        port = root / "port"
        if port.exists():
            self.port = int(port.read_text())
        root.mkdir(parents=True, exist_ok=True)
        port.write_text(str(self.port))
        if self.as_root:
            pg = pwd.getpwnam("postgres")
            os.chown(root, pg.pw_uid, pg.pw_gid)

    def start(self) -> None:
        if not (self.data / "PG_VERSION").exists():
            self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--locale=C.UTF-8")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=1GB "
                   f"-c maintenance_work_mem=2GB {self.OPTIONS}")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")

    def loaded(self, pages: int) -> str | None:
        """The URL of this cluster's database of `pages` pages if an earlier run loaded it whole."""
        import psycopg

        name = f"pages{pages}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                if (self.root / f"{name}.loaded").exists():
                    return self.url(name)
                return None  # an interrupted load: load_postgres goes on from its last committed chunk
            conn.execute(f'CREATE DATABASE "{name}"')
        return None


def without_windows(register: Register, runs: int) -> Figures:
    """The baseline: PostgreSQL's candidates in one query over the whole register (storage.search before
    its windows), the window set wider than the register."""
    import storage.search

    saved = storage.search.WINDOW
    storage.search.WINDOW = 2**31 - 1
    try:
        return measure(register, runs, warmup=1)
    finally:
        storage.search.WINDOW = saved


def run_postgres(pages: int, runs: int, keep: Path | None, jobs: int, baseline_runs: int) -> None:
    server = KeptPostgres(keep) if keep else PostgresServer()
    server.start()
    try:
        started = time.perf_counter()
        loaded: float | None = None
        if isinstance(server, KeptPostgres):
            url = server.loaded(pages)
            if url is None:
                url = server.url(f"pages{pages}")
                load_postgres(url, pages, jobs)
                loaded = time.perf_counter() - started
                (server.root / f"pages{pages}.loaded").write_text(f"{loaded:.0f}\n")
        else:
            url = server.database()
            load_postgres(url, pages, jobs)
            loaded = time.perf_counter() - started
        register = Register(url)  # on a kept cluster, applies any migration newer than its load
        try:
            report("postgresql", pages, measure(register, runs), loaded, keep)
            if baseline_runs:  # after the figures: the baseline's rare pair reads the whole table
                for label, (b50, b95, _) in without_windows(register, baseline_runs).items():
                    print(f"{'postgresql':>10} {pages:>10,} pages  {label:<40} p50 {b50:7.1f} ms  p95 {b95:7.1f} ms "
                          " one query, no windows (baseline)", flush=True)
        finally:
            register.engine.dispose()
    finally:
        server.stop()


def run_sqlite(pages: int, runs: int, keep: Path | None) -> None:
    """With `keep`, the register file stays there (`sqlite-PAGES.db`) and a later run only measures."""
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-") as tmp:
        path = (keep or Path(tmp)) / f"sqlite-{pages}.db"
        marker = path.with_suffix(".loaded")
        loaded: float | None = None
        if keep is None or not marker.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
            started = time.perf_counter()
            register = load_sqlite(path, pages)
            loaded = time.perf_counter() - started
            marker.write_text(f"{loaded:.0f}\n")
        else:
            register = Register(f"sqlite:///{path}")
        try:
            report("sqlite", pages, measure(register, runs), loaded, keep)
        finally:
            register.engine.dispose()


def report(backend: str, pages: int, results: Figures, loaded: float | None, keep: Path | None) -> None:
    for label, (p50, p95, hits) in results.items():
        target = 200 if pages > 1_000_000 else 100
        verdict = "ok" if p95 < target else "SLOW"
        print(f"{backend:>10} {pages:>10,} pages  {label:<40} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms "
              f" ({hits} hits) {verdict} (target p95 < {target})", flush=True)
    how = f"loaded in {loaded:.0f} s" if loaded is not None else f"reused from {keep}"
    print(f"{backend:>10} {pages:>10,} pages  {how}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="keep the loaded register (PostgreSQL: "
                        "the cluster; SQLite: the database file) in this directory and reuse it on the next run")
    parser.add_argument("--jobs", type=int, default=2, help="PostgreSQL: loaders copying pages at once")
    parser.add_argument("--baseline-runs", type=int, default=3, help="PostgreSQL: runs of the one-query baseline "
                        "(no windows) per query; 0 skips it")
    args = parser.parse_args()
    for pages in args.pages:
        for backend in args.backends:
            if backend == "sqlite":
                run_sqlite(pages, args.runs, args.keep)
            else:
                run_postgres(pages, args.runs, args.keep, args.jobs, args.baseline_runs)


if __name__ == "__main__":
    main()
