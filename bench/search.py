"""Search latency at province scale: p50/p95 over synthetic Vietnamese pages, SQLite and PostgreSQL.

    .venv/bin/python bench/search.py [--pages 100000 1000000] [--backends sqlite postgresql] [--runs 40]

The corpus: dossiers of 10 pages; every page is ~80 words drawn (Zipf) from a vocabulary of
Vietnamese syllables built from real onsets, rhymes and tones, and a third of the pages carry the
title phrase of their dossier's procedure (one of 20: "đăng ký khai sinh", "đăng ký kết hôn", ...).
Pages go in through the real schema (Alembic migrations) with bulk inserts; PostgreSQL gets a
throw-away cluster from the Debian binaries (tests/servers.py). Queries go through
`storage.search.search`, the same function `sohoa search` calls: a two-word query with
diacritics, the same without, and the latter with a procedure filter. Target: p95 < 100 ms at 1M.
"""

from __future__ import annotations

import argparse
import io
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.register import Register
from storage.search import SearchFilters, search
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
QUERIES = [("kết hôn", None), ("ket hon", None), ("ket hon", 1)]  # (query, procedure index filter)
PAGES_PER_DOSSIER = 10


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


def corpus(pages: int, seed: int = 7) -> Iterator[tuple[int, int, str, str]]:
    """(dossier id, page number, folded text, exact text) for `pages` pages."""
    rng = random.Random(seed)
    vocab = vocabulary(4000, rng) + [w for p in PROCEDURES for w in p.split()]
    folded_vocab = [fold(w).lower() for w in vocab]
    gen = np.random.default_rng(seed)
    titles = [(p, fold(p).lower()) for p in PROCEDURES]
    batch = 20000
    for start in range(0, pages, batch):
        n = min(batch, pages - start)
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
            yield dossier, number % PAGES_PER_DOSSIER + 1, folded, exact


def procedure_id(index: int) -> str:
    return f"1.{index:06d}"


def load_sqlite(path: Path, pages: int) -> Register:
    register = Register(f"sqlite:///{path}")
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    dossiers = (pages + PAGES_PER_DOSSIER - 1) // PAGES_PER_DOSSIER
    db.executemany(
        "INSERT INTO dossier (id, fingerprint, source_name, agency, channel, received_at, procedure_id, "
        "legal_status, state, updated_at) VALUES (?, ?, ?, 'H00', 1, '2026-01-05', ?, 2, 'digitized', '2026-01-05')",
        ((d, f"fp{d}", f"d{d}.pdf", procedure_id((d - 1) % len(PROCEDURES))) for d in range(1, dossiers + 1)))
    db.executemany("INSERT INTO search_index (folded, exact, dossier_id, page) VALUES (?, ?, ?, ?)",
                   ((f, e, d, p) for d, p, f, e in corpus(pages)))
    db.commit()
    db.execute("INSERT INTO search_index(search_index) VALUES('optimize')")
    db.commit()
    db.close()
    return register


def load_postgres(url: str, pages: int) -> Register:
    import psycopg

    register = Register(url)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    dossiers = (pages + PAGES_PER_DOSSIER - 1) // PAGES_PER_DOSSIER
    with psycopg.connect(dsn) as conn:
        conn.execute("DROP INDEX search_index_folded")
        with conn.cursor().copy("COPY dossier (id, fingerprint, source_name, agency, channel, received_at, "
                                "procedure_id, legal_status, state, updated_at) FROM STDIN") as copy:
            for d in range(1, dossiers + 1):
                copy.write_row((d, f"fp{d}", f"d{d}.pdf", "H00", 1, "2026-01-05",
                                procedure_id((d - 1) % len(PROCEDURES)),
                                2, "digitized", "2026-01-05"))
        with conn.cursor().copy("COPY search_index (dossier_id, page, folded, exact) FROM STDIN") as copy:
            buffer = io.StringIO()
            for n, (d, p, f, e) in enumerate(corpus(pages), start=1):
                buffer.write(f"{d}\t{p}\t{f}\t{e}\n")
                if n % 20000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        conn.execute("SELECT setval('dossier_id_seq', %s)", (dossiers,))
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("CREATE INDEX search_index_folded ON search_index USING gin (folded_tsv) WITH (fastupdate = off)")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE search_index")
        conn.execute("VACUUM ANALYZE dossier")
    return register


def measure(register: Register, runs: int) -> dict[str, tuple[float, float, int]]:
    out = {}
    for query, proc in QUERIES:
        filters = SearchFilters(procedure=procedure_id(proc)) if proc is not None else SearchFilters()
        times, hits = [], 0
        for _ in range(runs + 3):
            with register.session() as s:
                started = time.perf_counter()
                hits = len(search(s, query, filters=filters))
                times.append((time.perf_counter() - started) * 1000)
        times = sorted(times[3:])
        label = query + (f" [procedure {procedure_id(proc)}]" if proc is not None else "")
        out[label] = (statistics.median(times), times[int(0.95 * (len(times) - 1))], hits)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    for pages in args.pages:
        for backend in args.backends:
            started = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix="sohoa-bench-") as tmp:
                if backend == "sqlite":
                    register = load_sqlite(Path(tmp) / "bench.db", pages)
                    server = None
                else:
                    from tests.servers import PostgresServer

                    server = PostgresServer()
                    server.start()
                    register = load_postgres(server.database(), pages)
                loaded = time.perf_counter() - started
                try:
                    results = measure(register, args.runs)
                finally:
                    register.engine.dispose()
                    if server:
                        server.stop()
            for label, (p50, p95, hits) in results.items():
                verdict = "ok" if p95 < 100 else "SLOW"
                print(f"{backend:>10} {pages:>9,} pages  {label:<32} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms "
                      f" ({hits} hits) {verdict}", flush=True)
            print(f"{backend:>10} {pages:>9,} pages  loaded in {loaded:.0f} s", flush=True)


if __name__ == "__main__":
    main()
