"""The one place where edigateway's parts are wired together.

Nothing is built at import time: each front end (the CLI, the API, the Celery worker, the
demo) and each test calls :func:`bootstrap` once, passing fakes (or real loopback servers)
for what it wants to replace, and closes the gateway when it is done::

    with bootstrap(Settings(data_dir=tmp_path), clock=lambda: FIXED_NOW,
                   control_numbers=MemoryControlNumbers()) as gateway:
        ...

The gateway opens what it holds lazily (the database, the pyx12 maps, the real-time HTTP
clients) and :meth:`Gateway.close` releases it; the API's lifespan calls it at shutdown.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from edigateway.services.control_numbers import (
    ControlNumberSource,
    DatabaseControlNumbers,
    MemoryControlNumbers,
)
from edigateway.settings import Settings
from edigateway.sim.contract import SIM_HOST_KEY_FILE, SIMULATOR

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from edigateway.clearinghouses import ClearinghouseProfile
    from edigateway.codelists import CodeLists
    from edigateway.persistence.database import Database
    from edigateway.security.phi import Keyring
    from edigateway.services.verifications import RealtimeClient
    from edigateway.transports.https import CoreHttpClient
    from edigateway.transports.sftp import SftpTransport
    from edigateway.transports.webhooks import WebhookSender
    from edigateway.x12.validation import Validator


@dataclass
class Gateway:
    """Everything a use case needs, built once per process (or per test) by
    :func:`bootstrap`; a context manager that :meth:`closes <close>` itself.

    ``control_numbers`` allocates the numbers of files that are sent (the database's, so
    they never repeat); ``draft_control_numbers`` those of files that are only built to be
    checked (``POST /v1/claims/validate``), which must not use up real ones.
    """

    settings: Settings
    control_numbers: ControlNumberSource
    clock: Callable[[], datetime]
    draft_control_numbers: ControlNumberSource = field(default_factory=MemoryControlNumbers)
    _validator: Validator | None = None
    _database: Database | None = None
    _owns_database: bool = True
    _codes: CodeLists | None = None
    _keyring: Keyring | None = None
    _profiles: dict[str, ClearinghouseProfile] = field(default_factory=dict)
    _core_clients: dict[str, CoreHttpClient] = field(default_factory=dict)
    _webhook_sender: WebhookSender | None = None
    _opening: threading.RLock = field(default_factory=threading.RLock)

    def __enter__(self) -> Gateway:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release what the gateway holds open: its real-time HTTP clients and, when it
        opened the database itself (not one a test handed to :func:`bootstrap`), the
        database's connection pool.

        Calling it again does nothing more. A gateway used after it opens them again, so a
        test may hand one gateway to several apps, each of whose lifespans closes it.
        """
        with self._opening:
            clients, self._core_clients = self._core_clients, {}
            sender, self._webhook_sender = self._webhook_sender, None
            database = self._database if self._owns_database else None
        with ExitStack() as closing:  # every one is closed, even if another fails
            for client in clients.values():
                closing.callback(client.close)
            if sender is not None:
                closing.callback(sender.close)
            if database is not None:
                closing.callback(database.dispose)

    @property
    def validator(self) -> Validator:
        """The pyx12-backed validator, created on first use (loading maps takes time)."""
        if self._validator is None:
            self._validator = validator_for(self.settings)
        return self._validator

    @property
    def database(self) -> Database:
        """The database, opened on first use.

        The embedded SQLite file is migrated automatically; any other database must be
        migrated on purpose (``edigateway db upgrade``) so production never changes schema
        behind an operator's back.
        """
        with self._opening:  # the API's worker threads may all ask first at once
            if self._database is None:  # (an RLock: opening it asks for the keyring)
                self._database = self._open_database()
            return self._database

    def _open_database(self) -> Database:
        from edigateway.errors import ConfigurationError
        from edigateway.persistence.database import Database
        from edigateway.security.phi import PhiCipher

        self.private_data_dir()
        database = Database.connect(
            self.settings.resolved_database_url, phi=PhiCipher(self.keyring)
        )
        if database.engine.dialect.name == "sqlite":
            database.upgrade()
        elif not database.is_current():
            database.dispose()
            msg = "the database schema is not up to date; run `edigateway db upgrade` first"
            raise ConfigurationError(msg)
        return database

    def upgrade_database(self) -> None:
        """Apply every pending migration, with the PHI keys: a migration may read
        encrypted data (0008 names each practice's payer from its claims)."""
        from edigateway.persistence.database import Database
        from edigateway.security.phi import PhiCipher

        self.private_data_dir()
        database = Database.connect(
            self.settings.resolved_database_url, phi=PhiCipher(self.keyring)
        )
        try:
            database.upgrade()
        finally:
            database.dispose()

    @property
    def keyring(self) -> Keyring:
        """The PHI keyring: from settings in production, else the embedded key file
        (created by the first thread that asks)."""
        with self._opening:
            if self._keyring is None:
                self._keyring = self._load_keyring()
            return self._keyring

    def _load_keyring(self) -> Keyring:
        from edigateway.errors import ConfigurationError
        from edigateway.security.phi import Keyring

        settings = self.settings
        if settings.phi_keys is None:
            self.private_data_dir()
            return Keyring.load_or_create(self.key_file)
        if settings.phi_index_key is None:
            msg = "EDIGATEWAY_PHI_KEYS is set but EDIGATEWAY_PHI_INDEX_KEY is not"
            raise ConfigurationError(msg)
        return Keyring.parse(
            settings.phi_keys.get_secret_value(),
            index_key=settings.phi_index_key.get_secret_value(),
        )

    def private_data_dir(self) -> None:
        """Make the data folder and its ``keys/`` private (0700) before anything with PHI
        or keys goes in: created so, or tightened with a log line (see
        :mod:`edigateway.security.files`)."""
        from edigateway.security.files import PRIVATE_DIR, private_dir, tighten

        private_dir(self.settings.data_dir)
        tighten(self.settings.data_dir / "keys", PRIVATE_DIR)

    @property
    def key_file(self) -> Path:
        """The embedded setup's PHI key file (used when no keys are configured)."""
        return self.settings.data_dir / "keys" / "phi.keys"

    @property
    def codes(self) -> CodeLists:
        """CARC/RARC code lists from the mappings folder, read on first use."""
        if self._codes is None:
            from edigateway.codelists import CodeLists

            self._codes = CodeLists.load(self.settings.resolved_mappings_dir)
        return self._codes

    def profile(self, name: str | None = None) -> ClearinghouseProfile:
        """A clearinghouse profile by name (default: ``settings.clearinghouse``)."""
        from edigateway.clearinghouses import load_profile

        key = name or self.settings.clearinghouse
        if key not in self._profiles:
            self._profiles[key] = load_profile(self.settings.resolved_mappings_dir, key)
        return self._profiles[key]

    def sftp_transport(self, profile: ClearinghouseProfile) -> SftpTransport:
        """The SFTP transport for ``profile``, its secrets from the settings.

        The host key pinned is, in order: ``EDIGATEWAY_SFTP_HOST_KEY``, the profile's
        ``host_key``, and for the local simulator only, the key the simulator wrote in
        its own folder when it started (``settings.sim_dir``: ``<data_dir>-sim`` unless
        ``EDIGATEWAY_SIM_DATA_DIR`` says otherwise, ``host_key.pub``).
        """
        from edigateway.errors import ConfigurationError
        from edigateway.transports.sftp import SftpConfig, SftpTransport

        if profile.sftp is None:
            msg = f"clearinghouse {profile.name!r} has no SFTP settings in its profile"
            raise ConfigurationError(msg)
        host_key = self.settings.sftp_host_key or profile.sftp.host_key
        sim_key = self.settings.sim_dir / SIM_HOST_KEY_FILE
        if host_key is None and profile.name == SIMULATOR and sim_key.is_file():
            host_key = sim_key.read_text(encoding="ascii").strip()
        key_path = self.settings.resolved_sftp_private_key
        if not key_path.is_file():
            msg = (
                f"no SFTP private key at {key_path}: set EDIGATEWAY_SFTP_PRIVATE_KEY, or "
                "start `edigateway sim` once to create one for the local simulator"
            )
            raise ConfigurationError(msg)
        update: dict[str, object] = {"host_key": host_key}
        if profile.name == SIMULATOR:
            update["port"] = self.settings.sim_sftp_port
        sftp = profile.sftp.model_copy(update=update)
        return SftpTransport(SftpConfig.from_profile(sftp, private_key_path=key_path))

    def core_client(self, profile: ClearinghouseProfile) -> CoreHttpClient:
        """The CAQH CORE HTTP client for ``profile`` (real-time 270/271, 276/277): one per
        profile, kept and reused (its connections and OAuth2 token with it) by every caller
        until :meth:`close`, which closes it; callers do not close it themselves."""
        with self._opening:
            client = self._core_clients.get(profile.name)
            if client is None:
                client = self._core_clients[profile.name] = self._new_core_client(profile)
            return client

    def realtime(self, clearinghouse: str | None = None) -> RealtimeClient:
        """What a real-time eligibility check (270 → 271) needs, for ``clearinghouse``
        (default: ``settings.clearinghouse``): its profile and kept HTTP client, the
        settings, the control numbers that never repeat and the clock. The CLI, the API, the
        dashboard and the visit queue all hand this to
        :func:`~edigateway.services.verifications.check`."""
        from edigateway.services.verifications import RealtimeClient

        profile = self.profile(clearinghouse)
        return RealtimeClient(
            self.core_client(profile), profile, self.settings, self.control_numbers, self.clock
        )

    @property
    def webhook_sender(self) -> WebhookSender:
        """The HTTP client webhook deliveries go out with (kept until :meth:`close`), under
        the URL policy the settings choose (``webhooks_allow_private_urls``)."""
        from edigateway.transports.webhooks import WebhookSender

        with self._opening:
            if self._webhook_sender is None:
                self._webhook_sender = WebhookSender(
                    allow_private=self.settings.webhooks_allow_private_urls
                )
            return self._webhook_sender

    def _new_core_client(self, profile: ClearinghouseProfile) -> CoreHttpClient:
        from edigateway.errors import ConfigurationError
        from edigateway.transports.https import CoreHttpClient

        if profile.https is None:
            msg = f"clearinghouse {profile.name!r} has no HTTPS settings in its profile"
            raise ConfigurationError(msg)
        settings = self.settings
        api_key = settings.clearinghouse_api_key
        if api_key is None and profile.name == SIMULATOR:
            api_key = settings.sim_api_key
        secret = settings.clearinghouse_client_secret
        https = profile.https
        if profile.name == SIMULATOR:
            https = https.model_copy(
                update={"base_url": f"http://127.0.0.1:{settings.sim_http_port}"}
            )
        return CoreHttpClient(
            https,
            api_key=api_key.get_secret_value() if api_key else None,
            client_id=settings.clearinghouse_client_id,
            client_secret=secret.get_secret_value() if secret else None,
        )


def local_now() -> datetime:
    """The gateway's default clock: local wall-clock time, as X12 envelopes carry it."""
    return datetime.now().astimezone().replace(tzinfo=None)


def validator_for(settings: Settings) -> Validator:
    """The validator a gateway with ``settings`` uses, for a simulator that must start
    before its gateway (the demo learns the simulator's ports only once it runs), so both
    share one and the pyx12 maps load once."""
    from edigateway.x12.validation import Validator

    return Validator(
        mappings_dir=settings.resolved_mappings_dir, cache_dir=settings.data_dir / "cache"
    )


def bootstrap(
    settings: Settings | None = None,
    *,
    control_numbers: ControlNumberSource | None = None,
    clock: Callable[[], datetime] | None = None,
    validator: Validator | None = None,
    database: Database | None = None,
) -> Gateway:
    """Wire a :class:`Gateway` from settings (read from the environment when not given:
    the one place a front end builds :class:`Settings`), with optional replacements for
    tests. A ``database`` given stays the caller's: :meth:`Gateway.close` leaves it open."""
    settings = settings or Settings()
    gateway = Gateway(
        settings=settings,
        control_numbers=control_numbers or MemoryControlNumbers(),
        clock=clock or local_now,
        _validator=validator,
        _database=database,
        _owns_database=database is None,
    )
    if control_numbers is None:
        gateway.control_numbers = DatabaseControlNumbers(
            lambda: gateway.database, legacy_file=settings.data_dir / "control-numbers.json"
        )
    return gateway
