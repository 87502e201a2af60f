"""Dossiers taken from receipt to return through the register's own writes, without OCR.

Shared by the hand-off tests and `bench.sync`: each step is the register call the pipeline makes at
that point (receive, classify, digitize, sign, return), with small real files in the object store,
so the outbox fills exactly as in production and quickly.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from storage.register import DIGITIZED, RECEIVED
from workers.services import Services

PROCEDURE = "1.001193"  # Đăng ký khai sinh, in the shipped catalog


def tiny_pdf(text: str) -> bytes:
    """A small valid one-page PDF whose bytes differ with `text`."""
    body = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: str, hour: int = 9) -> datetime:
    """A time of 2026 on Vietnam's clock: `at("03-05", 17)` is 5 March 2026, 17:00."""
    return datetime.fromisoformat(f"2026-{day}T{hour:02d}:00:00").replace(tzinfo=VN)


@dataclass
class Lifecycle:
    services: Services
    agency: str = "000.00.21.H39"

    def _store(self, dossier_id: int, role: str, folder: str, data: bytes, name: str) -> str:
        sha = hashlib.sha256(data).hexdigest()
        key = f"{self.agency}/2026/03/{dossier_id}/{folder}/{sha}.pdf"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "f.pdf"
            path.write_bytes(data)
            info = self.services.objects.put(key, path, sha, "application/pdf", overwrite=True)
        self.services.register.add_file(dossier_id, role=role, name=name, object_key=key, sha256=info.sha256,
                                        size=info.size, media_type="application/pdf")
        return sha

    def receive(self, n: int, *, received: datetime | None = None, channel: int = 1) -> int:
        register = self.services.register
        code = f"{self.agency}-260312-{n:04d}"
        dossier = register.create_dossier(fingerprint=f"fp-{n}", source_name=f"scan-{n}.pdf", agency=self.agency,
                                          code=code, station=None, actor="test")
        self._store(dossier.id, "original", "original", tiny_pdf(f"original {n}"), f"scan-{n}.pdf")
        fields = {"received_at": received} if received else {}
        register.update(dossier.id, state=RECEIVED, page_count=1, channel=channel, **fields,
                        event=("test", "stored", {"files": 1}))
        return dossier.id

    def classify(self, dossier_id: int, *, procedure: str = PROCEDURE, due: datetime | None = None) -> None:
        dossier = self.services.register.get(dossier_id)
        assert dossier is not None
        received = dossier.received_at if dossier.received_at.tzinfo else dossier.received_at.replace(tzinfo=UTC)
        self.services.register.update(
            dossier_id, procedure_id=procedure, procedure_confidence=0.9, procedure_source="auto",
            due_at=due or received + timedelta(days=3),
            fields={"applicant_name": f"NGUYỄN VĂN {dossier_id}", "personal_id": f"{dossier_id:012d}"},
            event=("classifier", "classified", {"procedure": procedure}))

    def digitize(self, dossier_id: int) -> str:
        sha = self._store(dossier_id, "digitized", "digitized", tiny_pdf(f"digitized {dossier_id}"),
                          f"dossier-{dossier_id}.pdf")
        self.services.register.update(dossier_id, state=DIGITIZED, event=("pipeline", "digitized", None))
        return sha

    def sign(self, dossier_id: int, *, at: datetime | None = None) -> str:
        self._store(dossier_id, "result", "results", tiny_pdf(f"result {dossier_id}"), "result.pdf")
        sha = self._store(dossier_id, "signed_result", "signed", tiny_pdf(f"signed {dossier_id}"), "step-2.pdf")
        self.services.register.update(dossier_id, legal_status=9, finished_at=at or datetime.now(UTC),
                                      event=("signing", "result_signed", {}))
        return sha

    def give_back(self, dossier_id: int, *, at: datetime | None = None) -> None:
        self.services.register.update(dossier_id, legal_status=10, returned_at=at or datetime.now(UTC),
                                      event=("cli", "returned", None))

    def through(self, n: int, procedure: str, channel: int, received: str, due: datetime,
                signed: datetime | None = None, *, digitized: bool = True, returned: bool = False) -> int:
        """A dossier received on day `received`, filed, digitized, signed and given back (at 17:00 of
        the day it was signed) as far as asked: the registers the report tests count."""
        dossier_id = self.receive(n, received=at(received), channel=channel)
        self.classify(dossier_id, procedure=procedure, due=due)
        if digitized:
            self.digitize(dossier_id)
        if signed is not None:
            self.sign(dossier_id, at=signed)
            if returned:
                self.give_back(dossier_id, at=signed.replace(hour=17))
        return dossier_id

    def whole(self, n: int) -> tuple[int, str, str]:
        """Receipt to return; the dossier id and the SHA-256 of its digitized copy and signed result."""
        dossier_id = self.receive(n)
        self.classify(dossier_id)
        digitized = self.digitize(dossier_id)
        signed = self.sign(dossier_id)
        self.give_back(dossier_id)
        return dossier_id, digitized, signed
