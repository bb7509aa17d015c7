"""The whole clearinghouse simulator in one process: SFTP, HTTP and the answering cycle.

``edigateway sim`` runs it until interrupted; the demo and the tests start it in-process
on free loopback ports and call :meth:`Simulator.cycle` themselves, so what comes back is
known before they poll.

The simulator keeps everything it receives (837Ds with patients' names, member IDs and
dates of birth), its answers and its state **in plain text** in its own folder,
``settings.sim_dir`` (``<data_dir>-sim`` by default, beside the gateway's data folder and
never inside it, so the gateway's folder holds only encrypted PHI); the folder is private
(0700) and meant for test data only, which its start-up line says. Its host key lives
there too (0600), and its public line in ``host_key.pub``, which is where the gateway pins
it from for the ``simulator`` profile. The gateway's own client key stays with the gateway
(``<data_dir>/keys/id_ed25519``, 0600; created when missing, so the embedded setup needs
no ssh tooling)::

    with Simulator(settings, sftp_port=0, http_port=0) as sim:
        gateway = bootstrap(settings.model_copy(update=sim.client_settings()))
        ...upload...
        sim.cycle()
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import paramiko

from edigateway.security.files import PRIVATE_FILE, make_private_dirs, private_dir, tighten
from edigateway.sim.adjudicate import Rules
from edigateway.sim.claim_status import PayerClaim
from edigateway.sim.clearinghouse import CycleReport, FrontEndRules, SimClearinghouse
from edigateway.sim.contract import SIM_HOST_KEY_FILE
from edigateway.sim.eligibility import BenefitPlans
from edigateway.sim.http_server import SimulatorHttp
from edigateway.sim.sftp_server import SimSftpServer, generate_ed25519_key

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from pathlib import Path
    from types import TracebackType

    from edigateway.settings import Settings
    from edigateway.x12.validation import Validator


HOST_KEY_FILE = "ssh_host_ed25519"
"""The simulator's SSH host key, under ``<sim_dir>/keys``."""

log = logging.getLogger(__name__)


def client_key(settings: Settings) -> paramiko.PKey:
    """The gateway's SFTP client key, created for the embedded setup when missing (0600,
    in a folder made 0700); an existing key file with a looser mode is tightened."""
    path = settings.resolved_sftp_private_key
    if path.is_file():
        tighten(path, PRIVATE_FILE)
        return paramiko.PKey.from_path(path)
    make_private_dirs(path.parent)
    return generate_ed25519_key(path)


def plaintext_notice(folder: Path) -> str:
    """The simulator's start-up line: what it keeps, where, and that it is in clear."""
    return (
        f"the clearinghouse simulator stores received files and its state in PLAINTEXT "
        f"under {folder}: test data only"
    )


class Simulator:
    """SFTP + HTTP endpoints and the clearinghouse cycle (see module docstring);
    :attr:`notice` is the start-up line that says its files are plain-text test data."""

    def __init__(
        self,
        settings: Settings,
        *,
        validator: Validator,
        clock: Callable[[], datetime],
        sftp_port: int | None = None,
        http_port: int | None = None,
    ) -> None:
        mappings = settings.resolved_mappings_dir
        self.folder = folder = private_dir(settings.sim_dir)
        private_dir(folder / "keys")
        tighten(folder / "keys" / HOST_KEY_FILE, PRIVATE_FILE)
        self.notice = plaintext_notice(folder)
        earlier = settings.data_dir / "sim"
        if earlier.is_dir() and earlier != folder:
            log.warning(
                "%s holds an earlier simulator's plain-text files (the simulator now "
                "keeps them in %s); delete it",
                earlier,
                folder,
            )
        self.root = folder / "sftp"
        self.sftp = SimSftpServer(
            self.root,
            authorized_key=client_key(settings),
            host_key_path=folder / "keys" / HOST_KEY_FILE,
            port=settings.sim_sftp_port if sftp_port is None else sftp_port,
        )
        (folder / SIM_HOST_KEY_FILE).write_text(self.sftp.host_key_line + "\n", encoding="ascii")
        plans = BenefitPlans.load(mappings)
        self.clearinghouse = SimClearinghouse(
            self.root,
            rules=Rules.load(mappings),
            front_end=FrontEndRules.load(mappings),
            validator=validator,
            clock=clock,
            plans=plans,
        )
        self.http = SimulatorHttp(
            plans,
            validator,
            api_key=settings.sim_api_key.get_secret_value(),
            port=settings.sim_http_port if http_port is None else http_port,
            claim_status_lookup=self.claim_status,
            clock=clock,
        )
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._loop: threading.Thread | None = None

    def claim_status(self, patient_control_number: str) -> PayerClaim | None:
        """What the simulated payer knows of a claim, for 276 inquiries: paid (F1:65) or
        denied (F2) once adjudicated, else nothing (the answer is then D0:35)."""
        with self._lock:
            payment = self.clearinghouse.adjudicator.paid.get(patient_control_number)
        if payment is None:
            return None
        today = self.clearinghouse.clock().date()
        return PayerClaim(
            category="F1" if payment.paid > 0 else "F2",
            status="65" if payment.paid > 0 else "0",
            status_date=today,
            paid_amount=payment.paid,
            adjudication_date=today,
            payer_claim_control_number=payment.payer_claim_control_number,
            total_charge=payment.charge,
        )

    def client_settings(self) -> dict[str, Any]:
        """Settings overrides that point the gateway at this simulator's ports."""
        return {
            "sim_sftp_port": self.sftp.port,
            "sim_http_port": self.http.port,
            "sftp_host_key": self.sftp.host_key_line,
        }

    def cycle(self) -> CycleReport:
        """Answer what was uploaded so far (one cycle, serialised with the background one)."""
        with self._lock:
            return self.clearinghouse.run_cycle()

    def start(self, *, interval: float | None = None) -> Simulator:
        """Serve SFTP and HTTP; with ``interval``, also run a cycle every so many seconds."""
        self.sftp.start()
        self.http.start()
        if interval is not None:
            self._loop = threading.Thread(
                target=self._every, args=(interval,), name="sim-cycle", daemon=True
            )
            self._loop.start()
        return self

    def _every(self, interval: float) -> None:
        while not self._stopping.wait(interval):
            self.cycle()

    def stop(self) -> None:
        """Stop the cycle, then both servers."""
        self._stopping.set()
        if self._loop is not None:
            self._loop.join()
        self.http.stop()
        self.sftp.stop()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
