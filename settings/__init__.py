"""The one settings object: every knob of sohoa, read once from `SOHOA_*` environment variables.

Every default works on one machine with no server to set up (the embedded mode). The distributed
mode switches on by setting `SOHOA_S3_ENDPOINT`, `SOHOA_REDIS_URL` and `SOHOA_DATABASE_URL`.
Stages (`ingest`, `ocr`, `procedures`, `signing`) never read this object: the wiring in `workers/`,
`web/` and the CLI passes them plain values, so each stage stays testable alone.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All of sohoa's configuration. Field docs are the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="SOHOA_", env_file=None, extra="ignore")

    # --- where things live (embedded mode) ---
    home: Path = Field(Path("var"), description="Root of the embedded mode's folders and files.")
    agency: str = Field("000.00.00.H00", description="Agency code used in object keys and metadata.")
    agency_name: str = Field("Bộ phận một cửa", description="Agency name printed in metadata.")

    # --- ingest ---
    poll: float = Field(0.0, description="Seconds between polls of the inbox; 0 uses inotify events "
                        "(set it for SMB/NFS shares, where events never arrive).")
    rescan_seconds: float = Field(30.0, description="Full rescan of the inbox, to catch missed events.")
    settle_seconds: float = Field(2.0, description="A file is taken once its size and mtime have not "
                                  "changed for this long.")
    unfinished_grace_seconds: float = Field(60.0, description="A settled file that looks unfinished "
                                            "(empty, a PDF without its end, an image that does not decode) "
                                            "waits this long unchanged before it is quarantined.")
    unreadable_seconds: float = Field(120.0, description="An entry that cannot be read (no permission) is "
                                      "tried again, with growing pauses, this long before it is quarantined.")
    min_free_mb: int = Field(200, description="Intake pauses while the home's disk has less free space "
                             "than this, and resumes by itself.")
    max_file_mb: int = Field(500, description="Files larger than this go to quarantine.")
    max_pixels: int = Field(200_000_000, description="An image page decompressing past this many "
                            "pixels is refused as bomb-like.")
    max_pages: int = Field(2000, description="A file with more pages is refused.")
    after_ingest: Literal["move", "delete"] = Field("move", description="What happens to an inbox "
                                                    "file once stored: moved to done/ or deleted.")

    # --- OCR ---
    ocr_dpi: int = Field(300, description="Resolution PDFs are rasterized at for OCR.")
    ocr_lang: str = Field("vie", description="Tesseract language(s).")
    ocr_jobs: int = Field(0, description="OCR processes; 0 means one per core.")
    scratch_mb: int = Field(2048, description="Scratch space the page images of one dossier may use "
                            "in <home>/work; a dossier needing more fails with a message saying so.")
    archive_dpi: int = Field(200, description="Image resolution of the archival PDF/A copy.")
    rescan_confidence: float = Field(60.0, description="Pages with mean word confidence below this "
                                     "get a 'rescan suggested' event.")
    unsure_word_confidence: float = Field(60.0, description="Words read with confidence below this are "
                                          "marked on the page view for a person to check.")

    # --- classification ---
    review_threshold: float = Field(0.6, description="Dossiers classified with lower confidence go "
                                    "to review.")
    retrain_hours: float = Field(24.0, description="`sohoa run` retrains the classifier from new "
                                 "reviewer corrections at most this often; 0 never.")
    catalog_file: Path | None = Field(None, description="A procedure catalog (YAML) replacing the "
                                      "shipped one.")
    holidays_file: Path | None = Field(None, description="Public holidays (YAML) replacing the shipped ones.")
    catalog_levels: list[str] = Field([], description="Classify only among procedures handled at these "
                                      "levels (JSON list of folded substrings of the catalog's level, "
                                      'e.g. ["xã"]); [] all.')
    catalog_fields: list[str] = Field([], description="Classify only among procedures of these fields "
                                      '(JSON list, e.g. ["hộ tịch", "chứng thực", "cư trú"]); [] all.')

    # --- distributed mode ---
    database_url: str | None = Field(None, description="SQLAlchemy URL of the register; default "
                                     "SQLite at <home>/sohoa.db.")
    redis_url: str | None = Field(None, description="Redis for rq queues; unset runs the pipeline inline.")
    retry_intervals: list[NonNegativeInt] = Field([5, 30, 120], description="Seconds an rq job "
                                                  "waits before each retry of a failed step (JSON "
                                                  "list; one retry per entry, [] none); after the "
                                                  "last the dossier stays failed.")
    s3_endpoint: str | None = Field(None, description="host:port of MinIO/S3; unset keeps objects "
                                    "under <home>/objects.")
    s3_access_key: str | None = Field(None, description="S3 access key.")
    s3_secret_key: SecretStr | None = Field(None, description="S3 secret key.")
    s3_bucket: str = Field("sohoa", description="S3 bucket.")
    s3_secure: bool = Field(False, description="Use HTTPS to reach S3.")
    s3_retention_years: int = Field(0, description="Object-lock retention of originals, where the "
                                    "bucket supports it; 0 is off.")

    # --- web ---
    web_host: str = Field("127.0.0.1", description="Address the web UI and API listen on.")
    web_port: int = Field(8470, description="Port of the web UI and API.")
    web_workers: NonNegativeInt = Field(0, description="Processes serving the web (uvicorn workers); "
                                        "0 means one per core for `sohoa web` and a thread of "
                                        "`sohoa run`.")
    web_threads: PositiveInt = Field(4, description="Requests a web process works on at once; the rest wait "
                                     "their turn in order.")
    session_idle_minutes: float = Field(30.0, description="A web session unused this long is closed.")
    login_max_failures: int = Field(5, description="Wrong passwords in a row that lock an account.")
    login_lock_minutes: float = Field(15.0, description="How long a locked account stays locked.")
    web_secure_cookies: bool = Field(False, description="Mark cookies Secure (set it behind a TLS "
                                     "proxy; requests that arrive over HTTPS get it anyway).")
    kiosk_per_minute: int = Field(30, description="Look-ups one address may make a minute on the "
                                  "public progress kiosk.")

    # --- signing ---
    tsa_url: str | None = Field(None, description="RFC 3161 timestamp authority; unset signs PAdES "
                                "B-B without a timestamp.")
    pkcs11_module: Path = Field(Path("/usr/lib/softhsm/libsofthsm2.so"), description="PKCS#11 "
                                "library of the signing tokens.")
    trust_roots: list[Path] = Field(default_factory=list, description="PEM files of trusted roots "
                                    "for verification.")
    seal_digitized: bool = Field(False, description="Sign every digitized copy with the agency seal "
                                 "(needs seal_p12).")
    seal_p12: Path | None = Field(None, description="PKCS#12 file of the agency seal used on digitized copies.")
    seal_passphrase_file: Path | None = Field(None, description="File holding the seal's passphrase "
                                              "(readable by the service only; never logged).")
    sign_prepare_minutes: float = Field(10.0, description="Minutes a document prepared for a signature "
                                        "made on an official's PC (browser signing) waits for it.")

    # --- archive packages (E-ARK SIP, Thông tư 05/2025/TT-BNV) ---
    archive_csip_version: Literal["2.0.4", "2.1.0"] = Field("2.0.4", description="E-ARK CSIP/SIP "
                                                             "version archive packages are written to.")
    archive_maintenance: str = Field("Vĩnh viễn", description="Retention (thời hạn bảo quản) written in "
                                     "every package's metadata.")
    archive_rights: str = Field("Hạn chế", description="Access rights (chế độ sử dụng) written in every "
                                "package's metadata.")

    # --- hand-off to the provincial one-stop system (province/, workers/sync.py) ---
    province_url: str | None = Field(None, description="Base URL of the provincial adapter; unset "
                                     "keeps every message in the outbox.")
    province_auth: Literal["session", "lgsp"] = Field("session", description="`session`: login with "
                                                      "username/password; `lgsp`: OAuth2 client "
                                                      "credentials behind a provincial LGSP gateway.")
    province_auth_path: str = Field("/dvcqg/login", description="Path of the adapter's login.")
    province_service_path: str = Field("/dvcqg/service", description="Path of the adapter's service calls.")
    province_token_path: str = Field("/oauth2/token", description="Path of the LGSP OAuth2 token endpoint.")
    province_madonvi: str | None = Field(None, description="Unit code (madonvi) at the portal; default "
                                         "SOHOA_AGENCY.")
    province_credentials_file: Path | None = Field(None, description="File of `key=value` lines: "
                                                   "username, password (or client_id, client_secret, "
                                                   "lgsp_access_token); never logged.")
    province_timeout: float = Field(30.0, description="Seconds to wait for the adapter's answer.")
    province_batch: int = Field(50, description="Dossiers per DongBoHoSoMC call.")
    province_retry_intervals: list[NonNegativeInt] = Field([10, 60, 300, 1800, 7200], description=(
        "Seconds before each new try of a message the adapter refused; after the last it is a dead "
        "letter for `sohoa sync retry`. An unreachable adapter counts no try."))
    province_max_backoff: float = Field(300.0, description="Longest wait between rounds while the "
                                        "adapter is unreachable.")
    province_lease_seconds: float = Field(300.0, description="A claimed message is claimed again "
                                          "after this long if its worker died.")
    province_workers: int = Field(1, ge=1, description="Sync workers per process, sending at once: one "
                                  "waiting for a slow answer does not hold the others.")
    province_poll: float = Field(2.0, description="Seconds between looks at the outbox when it is empty.")
    province_files_url: str | None = Field(None, description="Base URL the portal downloads files "
                                           "from (sohoa's web); default http://WEB_HOST:WEB_PORT.")
    province_link_ttl: float = Field(86400.0, description="Seconds a download link stays valid.")
    province_link_secret_file: Path | None = Field(None, description="Secret that signs download "
                                                   "links (the same on every machine); default "
                                                   "<home>/link-secret, made on first use.")

    @property
    def web_processes(self) -> int:
        """Web worker processes to run: one per core unless set."""
        return self.web_workers or os.cpu_count() or 1

    @cached_property
    def jobs(self) -> int:
        """OCR processes to run: one per core unless set."""
        return self.ocr_jobs or os.cpu_count() or 1

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @property
    def done(self) -> Path:
        return self.home / "done"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def results_inbox(self) -> Path:
        return self.home / "results"

    @property
    def objects(self) -> Path:
        return self.home / "objects"

    @property
    def work(self) -> Path:
        """Scratch space for page images; safe to empty when nothing runs."""
        return self.home / "work"

    @property
    def register_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'sohoa.db').resolve()}"


def load_settings() -> Settings:
    """Read the settings once; callers pass the object on rather than reading again."""
    return Settings()
