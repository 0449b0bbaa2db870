"""Instance settings, read from IPOC_* environment variables or a .env file.

Everything an instance writes lives under ``data_dir`` so that several instances can run side by side.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IPOC_", env_file=".env", extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str | None = None
    secret_key: str | None = None
    session_idle_minutes: int = Field(default=30, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_lock_minutes: int = Field(default=15, ge=1)
    # argon2id at OWASP's first recommended setting (46 MiB, 1 pass, 1 lane): ~50 ms of one core per login.
    # RFC 9106's 64 MiB × 3 passes × 4 lanes cost ~165 ms of CPU on both cores of a 2-core server, the largest
    # share of a login under load; hashes carry their parameters, so changing these keeps old passwords valid.
    password_hash_time_cost: int = Field(default=1, ge=1)
    password_hash_memory_kib: int = Field(default=47104, ge=8)
    password_hash_parallelism: int = Field(default=1, ge=1)
    secure_cookies: bool = False

    # Center lifecycle (Arts. 7, 10, 14); domain-rules §0, §1 and §8 mark these as settings.
    notice_working_days: int = Field(default=5, ge=1)
    notice_first_day: str = Field(default="counts", pattern="^(counts|excluded)$")
    construction_years: int = Field(default=3, ge=1)
    # Expert review (Art. 7(3)): the fewest valid scores per subject a new panel needs before it may close.
    review_min_scores: int = Field(default=3, ge=1, le=50)
    # A center recognised after this month-day starts its yearly self-evaluations with the next year.
    late_recognition_cutoff: str = Field(default="10-01", pattern=r"^\d{2}-\d{2}$")
    self_evaluation_deadline: str = Field(default="12-31", pattern=r"^\d{2}-\d{2}$")
    reminder_days: str = "30,7,1"
    # 发文字号 of the region bureau's decisions (GB/T 9704 §7.2.4): 机关代字〔年份〕序号, numbered per issuer and year.
    document_number_format: str = Field(
        default="内市监知发〔{year}〕{number}号", pattern=r"^[^{}]*\{year\}[^{}]*\{number\}[^{}]*$"
    )
    national_min_conversion_yuan: int = Field(default=5_000_000, ge=0)
    national_min_projects: int = Field(default=10, ge=0)
    # High-value invention criteria (domain-rules §2): the pledge amount that counts as "较高" (¥10 million is the
    # widely cited figure, unconfirmed ❓), the date 维持年限 counts from (filing or grant, ⚠️), and whether a right
    # granted in Hong Kong, Macao or Taiwan counts as an overseas family member.
    high_pledge_threshold_yuan: int = Field(default=10_000_000, ge=0)
    maintenance_base: str = Field(default="filing", pattern="^(filing|grant)$")
    overseas_includes_hk_mo_tw: bool = False
    # Attachments: size limit, and an optional local virus scanner run as `command path` (exit 0 = clean).
    attachment_max_mb: int = Field(default=20, ge=1)
    scan_command: str | None = None
    # E-mail copies of messages (站内消息, optional): sent by the job queue through this SMTP server when a host
    # is set; `smtp_tls` asks for STARTTLS. `site_url` (e.g. https://ipoc.example.cn) makes mailed links absolute.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "ipoc@localhost"
    smtp_tls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    site_url: str = ""
    # Jobs (imports, exports, embedding, index rebuilds) run from a queue in the database. On the SQLite default
    # the web process runs them itself; with PostgreSQL and `ipoc worker` processes, set this to false.
    run_jobs_in_web: bool = True
    web_job_slots: int = Field(default=2, ge=1)
    # Concurrency of one web process. Route functions run in a pool of `threadpool_size` threads; at most
    # `request_slots` requests are inside the app at once (the rest wait on the event loop, holding nothing), so
    # the connections they hold, one each, plus the job runner's and the index writer's, fit in the database
    # pool (`db_pool_size` + `db_max_overflow`, on either database). A request that waits `db_pool_timeout_s` for a
    # connection, or `request_queue_timeout_s` for a slot, is answered 503 with Retry-After, never left hanging.
    threadpool_size: int = Field(default=40, ge=1)
    request_slots: int = Field(default=24, ge=1)
    request_queue_timeout_s: float = Field(default=30, gt=0)
    db_pool_size: int = Field(default=20, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_s: float = Field(default=10, gt=0)

    @cached_property
    def resolved_data_dir(self) -> Path:
        path = self.data_dir.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def uploads_dir(self) -> Path:
        return self.resolved_data_dir / "uploads"

    @property
    def audit_anchor_path(self) -> Path:
        return self.resolved_data_dir / "audit-anchor.json"

    @cached_property
    def sqlalchemy_url(self) -> str:
        """Normalise the configured URL; a plain postgresql:// URL gets the psycopg 3 driver we install."""
        url = self.database_url or f"sqlite:///{self.resolved_data_dir / 'ipoc.sqlite3'}"
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data dir (never in the database)."""
        if self.secret_key:
            return self.secret_key
        path = self.resolved_data_dir / "secret.key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


_settings: Settings | None = None


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings()
    return _settings


def set_settings(settings: Settings) -> None:
    """Used by the CLI and tests to run against a given instance."""
    global _settings
    _settings = settings
