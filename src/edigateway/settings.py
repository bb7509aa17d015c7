"""All configuration, read from ``EDIGATEWAY_*`` environment variables (or a ``.env`` file).

This is the only place that reads the environment: everything else receives a
:class:`Settings` (or the values it needs) from :func:`edigateway.bootstrap.bootstrap`.

Example::

    EDIGATEWAY_DATA_DIR=/var/lib/edigateway EDIGATEWAY_ISA_SENDER_ID=PRACTICE01 edigateway ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DOWNLOAD_MAX_BYTES = 64 * 2**20
"""Default cap on one received file (64 MiB): far above any real acknowledgment or ERA."""
DOWNLOAD_MAX_ATTEMPTS = 3
"""Default number of polls that may fail to download one file before it is quarantined."""


def _default_data_dir() -> Path:
    return Path.cwd() / "var"


class Settings(BaseSettings):
    """Gateway settings; defaults give the embedded single-process setup."""

    model_config = SettingsConfigDict(env_prefix="EDIGATEWAY_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    mappings_dir: Path | None = Field(
        default=None,
        description="Folder holding pyx12 maps, code lists and clearinghouse profiles; "
        "defaults to the repository's mappings/ folder.",
    )

    # Interchange defaults, used when a claim batch does not name its own.
    isa_sender_qualifier: str = "ZZ"
    isa_sender_id: str = "EDIGATEWAY"
    isa_receiver_qualifier: str = "ZZ"
    isa_receiver_id: str = "CLEARINGHOUSE"
    gs_sender_code: str = "EDIGATEWAY"
    gs_receiver_code: str = "CLEARINGHOUSE"
    usage_indicator: Literal["P", "T"] = "T"
    submitter_name: str = "EDIGATEWAY"
    submitter_id: str = "EDIGATEWAY"
    submitter_contact_name: str = "EDI SUPPORT"
    submitter_contact_phone: str = "8005550100"
    receiver_name: str = "CLEARINGHOUSE"
    receiver_id: str = "CLEARINGHOUSE"

    # Clearinghouse exchange. Profiles (mappings/clearinghouses/*.json) say where; secrets
    # and keys are configured here, never in a profile.
    clearinghouse: str = Field(
        default="simulator", description="the clearinghouse profile used by default"
    )
    sftp_private_key: Path | None = Field(
        default=None,
        description="our SSH key for the clearinghouse's SFTP server; default "
        "<data_dir>/keys/id_ed25519 (created by `edigateway sim` for the simulator)",
    )
    sftp_host_key: str | None = Field(
        default=None,
        description="the clearinghouse's SSH host key ('ssh-ed25519 AAAA…'), "
        "overriding the profile's pinned key",
    )
    clearinghouse_api_key: SecretStr | None = None
    clearinghouse_client_id: str = "edigateway"
    clearinghouse_client_secret: SecretStr | None = None

    # The local clearinghouse simulator (`edigateway sim`, the demo and the tests).
    sim_sftp_port: int = Field(default=2222, ge=0, le=65535)
    sim_http_port: int = Field(default=8089, ge=0, le=65535)
    sim_api_key: SecretStr = Field(
        default=SecretStr("edigateway-simulator"),
        description="the key the simulator accepts; it only listens on 127.0.0.1",
    )

    # The simulator's own folder: it keeps what it receives (837Ds with names, member IDs,
    # dates of birth), its answers and its state in plain text, so not in the data folder.
    sim_data_dir: Path | None = Field(
        default=None,
        description="the simulator's folder (SFTP files, host key, state; "
        "plain-text test data); default: beside the data folder, '<data_dir>-sim'",
    )

    # Scale-out workers (Celery); without a broker every job runs in-process.
    broker_url: str | None = Field(
        default=None,
        description="e.g. amqp://guest:guest@127.0.0.1:5672// (RabbitMQ) or "
        "redis://127.0.0.1:6379/0",
    )
    worker_queue: str = "edigateway"

    # PHI at rest and API keys.
    phi_keys: SecretStr | None = Field(
        default=None,
        description="data keys 'k2:<base64 32 bytes>,k1:<base64>' (first = "
        "active); without it the embedded setup keeps generated keys in "
        "<data_dir>/keys/phi.keys",
    )
    phi_index_key: SecretStr | None = Field(
        default=None,
        description="base64 key (≥ 32 bytes) for member-ID look-ups and the "
        "API-key pepper; required with phi_keys",
    )

    # Web hardening of the coordinator pages (/ui) and the HTTP API.
    trusted_hosts: list[str] = Field(
        default=["127.0.0.1", "localhost"],
        description="Host header values the gateway answers (JSON list, e.g. "
        '\'["edi.example.com"]\'; "*.example.com" allows subdomains); any other Host gets '
        "400, so a forged Host can never steer a redirect",
    )
    ui_secure_cookies: bool = Field(
        default=False,
        description="mark the /ui cookies Secure; turn on whenever the pages "
        "are served over HTTPS (e.g. behind a TLS proxy). Off by default for the embedded "
        "set-up on http://127.0.0.1, where a Secure cookie would never be sent back",
    )
    ui_session_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="a /ui session unused this long is signed out"
    )
    ui_session_absolute_hours: int = Field(
        default=12,
        ge=1,
        le=7 * 24,
        description="a /ui session ends this long after sign-in, used or not",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^/?#\s]+/?$",
        description="where people open the gateway (scheme, host and port; behind a TLS "
        "proxy, the proxy's address): the links the gateway hands out, such as a new "
        "user's set-password link, start with it",
    )

    # Receiving files (`claims poll`): no single file can exhaust memory or stall a poll.
    download_max_bytes: int = Field(
        default=DOWNLOAD_MAX_BYTES,
        ge=1,
        description="a received file bigger than this is "
        "not downloaded: it is quarantined by name and size (a work item) and left in place",
    )
    attachment_max_bytes: int = Field(
        default=10 << 20,
        ge=1024,
        le=64 << 20,
        description="the largest file accepted as "
        "a claim attachment (payers take a few MiB per file; a bigger upload is a 413)",
    )
    download_max_attempts: int = Field(
        default=DOWNLOAD_MAX_ATTEMPTS,
        ge=1,
        le=100,
        description="polls in a row that may "
        "fail to download one file before it is quarantined by name (a work item)",
    )

    # Webhooks (Standard Webhooks) to practice-management systems.
    webhooks_allow_private_urls: bool = Field(
        default=False,
        description="let webhook URLs resolve to loopback, private or "
        "link-local addresses and use plain http (tests, the simulator, a receiver on your "
        "own network); off, a URL must be https and public, so no one can point the "
        "gateway at its own network",
    )
    webhooks_deliver_in_api: bool = Field(
        default=True,
        description="`edigateway serve` delivers webhooks itself every few "
        "seconds; turn off when `edigateway webhooks deliver --loop` (or the worker's "
        "deliver_webhooks task) runs elsewhere",
    )

    # `edigateway serve` sends, polls and follows up by itself (api/scheduler.py); Celery
    # beat uses the same intervals (workers/celery_app.py).
    schedule_enabled: bool = Field(
        default=True,
        description="`edigateway serve` runs the outbox sender, the poller "
        "and the claim-status follow-up on the intervals below; turn off (or `serve "
        "--no-scheduler`) when Celery beat or cron runs them instead",
    )
    schedule_send_seconds: int = Field(
        default=60, ge=1, le=86_400, description="seconds between outbox sends"
    )
    schedule_poll_seconds: int = Field(
        default=300,
        ge=1,
        le=86_400,
        description="seconds between polls of the clearinghouse for 999, 277CA and 835 files",
    )
    schedule_status_minutes: int = Field(
        default=1440,
        ge=1,
        le=7 * 1440,
        description="minutes between claim-status follow-up rounds (276/277)",
    )
    schedule_status_after_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="a sent claim with no answer after this many "
        "days is asked about (once per period)",
    )

    @property
    def resolved_sftp_private_key(self) -> Path:
        """Our SFTP client key file."""
        return self.sftp_private_key or self.data_dir / "keys" / "id_ed25519"

    @property
    def sim_dir(self) -> Path:
        """Where the simulator keeps its SFTP folders, keys and state: ``sim_data_dir``, by
        default beside the data folder (``./var`` → ``./var-sim``), never inside it."""
        if self.sim_data_dir is not None:
            return self.sim_data_dir
        folder = self.data_dir.resolve()
        return folder.with_name(f"{folder.name}-sim") if folder.name else folder / "sim"

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'edigateway.sqlite3'}"

    @property
    def resolved_mappings_dir(self) -> Path:
        """The mappings folder: configured, or the one beside ``src/`` in a checkout."""
        if self.mappings_dir is not None:
            return self.mappings_dir
        return Path(__file__).resolve().parents[2] / "mappings"
