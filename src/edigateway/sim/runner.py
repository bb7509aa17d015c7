"""The whole clearinghouse simulator in one process: SFTP, HTTP and the answering cycle.

``edigateway sim`` runs it until interrupted; the demo and the tests start it in-process
on free loopback ports and call :meth:`Simulator.cycle` themselves, so what comes back is
known before they poll. Keys live under ``<data_dir>/sim``: the simulator's host key, and
the gateway's own client key (created when missing, so the embedded setup needs no ssh
tooling); the host key's public line is written to ``<data_dir>/sim/host_key.pub``, which
is where the gateway pins it from for the ``simulator`` profile::

    with Simulator(settings, sftp_port=0, http_port=0) as sim:
        gateway = bootstrap(settings.model_copy(update=sim.client_settings()))
        ...upload...
        sim.cycle()
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import paramiko

from edigateway.bootstrap import SIM_HOST_KEY_FILE
from edigateway.sim.adjudicate import Rules
from edigateway.sim.claim_status import PayerClaim
from edigateway.sim.clearinghouse import CycleReport, FrontEndRules, SimClearinghouse
from edigateway.sim.eligibility import BenefitPlans
from edigateway.sim.http_server import SimulatorHttp
from edigateway.sim.sftp_server import SimSftpServer, generate_ed25519_key

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from types import TracebackType

    from edigateway.settings import Settings
    from edigateway.x12.validation import Validator


def client_key(settings: Settings) -> paramiko.PKey:
    """The gateway's SFTP client key, created for the embedded setup when missing."""
    path = settings.resolved_sftp_private_key
    if path.is_file():
        return paramiko.PKey.from_path(path)
    return generate_ed25519_key(path)


class Simulator:
    """SFTP + HTTP endpoints and the clearinghouse cycle (see module docstring)."""

    def __init__(self, settings: Settings, *, validator: Validator,
                 clock: Callable[[], datetime], sftp_port: int | None = None,
                 http_port: int | None = None) -> None:
        mappings = settings.resolved_mappings_dir
        folder = settings.sim_dir
        self.root = folder / "sftp"
        self.sftp = SimSftpServer(
            self.root, authorized_key=client_key(settings),
            host_key_path=folder / "keys" / "ssh_host_ed25519",
            port=settings.sim_sftp_port if sftp_port is None else sftp_port)
        (folder / SIM_HOST_KEY_FILE).write_text(self.sftp.host_key_line + "\n",
                                                encoding="ascii")
        self.clearinghouse = SimClearinghouse(
            self.root, rules=Rules.load(mappings), front_end=FrontEndRules.load(mappings),
            validator=validator, clock=clock)
        self.http = SimulatorHttp(
            BenefitPlans.load(mappings), validator,
            api_key=settings.sim_api_key.get_secret_value(),
            port=settings.sim_http_port if http_port is None else http_port,
            claim_status_lookup=self.claim_status)
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
            category="F1" if payment.paid > 0 else "F2", status="65" if payment.paid > 0
            else "0", status_date=today, paid_amount=payment.paid, adjudication_date=today,
            payer_claim_control_number=payment.payer_claim_control_number,
            total_charge=payment.charge)

    def client_settings(self) -> dict[str, Any]:
        """Settings overrides that point the gateway at this simulator's ports."""
        return {"sim_sftp_port": self.sftp.port, "sim_http_port": self.http.port,
                "sftp_host_key": self.sftp.host_key_line}

    def cycle(self) -> CycleReport:
        """Answer what was uploaded so far (one cycle, serialised with the background one)."""
        with self._lock:
            return self.clearinghouse.run_cycle()

    def start(self, *, interval: float | None = None) -> Simulator:
        """Serve SFTP and HTTP; with ``interval``, also run a cycle every so many seconds."""
        self.sftp.start()
        self.http.start()
        if interval is not None:
            self._loop = threading.Thread(target=self._every, args=(interval,),
                                          name="sim-cycle", daemon=True)
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

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

