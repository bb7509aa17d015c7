"""The jobs a worker does — posting an ERA file, sending the outbox, polling a
clearinghouse — as plain functions of a :class:`~edigateway.bootstrap.Gateway`.

They are what the CLI runs in-process, what Celery tasks call
(:mod:`edigateway.workers.celery_app`) and what ``serve``'s scheduler runs
(:mod:`edigateway.api.scheduler`), so every path is the same code: a layer of its own
below the front ends, which never import each other. Each is idempotent, keyed by what it
works on: an ERA file by its SHA-256 (the posting engine refuses a file or payment twice),
the outbox by its rows' states, the inbound folder by file hash. A redelivered task is
therefore harmless.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from edigateway.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from edigateway.bootstrap import Gateway
    from edigateway.services.inbound import PollResult
    from edigateway.services.outbox import SendResult
    from edigateway.services.posting_result import PostingResult
    from edigateway.services.received import LocalSource
    from edigateway.services.webhooks import DeliveryRun


def post_era_file(
    gateway: Gateway, path: str, sha256: str | None = None, *, source: LocalSource = "worker"
) -> PostingResult:
    """Post one 835 file, recorded as received from ``source`` (``edigateway era post``
    says ``cli``); ``sha256`` (when given) must match what is on disk now."""
    from edigateway.services.posting import post_received
    from edigateway.services.received import ReceivedFile

    received = ReceivedFile.at(path, source=source)
    if sha256 is not None and received.sha256 != sha256:
        msg = (
            f"{path}: changed since it was queued (SHA-256 {received.sha256[:12]}…, "
            f"not {sha256[:12]}…)"
        )
        raise InputError(msg)
    return post_received(gateway.database, received, codes=gateway.codes, now=gateway.clock())


def send_outbox(gateway: Gateway, clearinghouse: str | None = None) -> list[SendResult]:
    """Upload every queued submission of a clearinghouse; what became of each."""
    from edigateway.services.outbox import drain_outbox

    profile = gateway.profile(clearinghouse)
    with gateway.sftp_transport(profile) as transport:
        return drain_outbox(
            gateway.database, transport, clearinghouse=profile.name, now=gateway.clock()
        )


def poll_clearinghouse(gateway: Gateway, clearinghouse: str | None = None) -> PollResult:
    """Collect and apply a clearinghouse's answers (what became of each file), then open a
    work item for each submission still without a 999 after the profile's
    ``no_999_after_hours`` (once each), so the workers watch for lost files as the
    command line does.

    A bad file never fails the job (it is quarantined with a work item, so a retry would
    change nothing); only an unreachable server or database does, and is retried.
    """
    from datetime import timedelta

    from edigateway.services.inbound import InboundLimits, PollResult, poll_inbound
    from edigateway.services.submissions import flag_missing_acknowledgments

    profile = gateway.profile(clearinghouse)
    with gateway.sftp_transport(profile) as transport:
        files = poll_inbound(
            gateway.database,
            transport,
            clearinghouse=profile.name,
            codes=gateway.codes,
            now=gateway.clock(),
            limits=InboundLimits.of(gateway.settings),
        )
    missing = flag_missing_acknowledgments(
        gateway.database, now=gateway.clock(), after=timedelta(hours=profile.no_999_after_hours)
    )
    return PollResult(files, missing)


def follow_up_claim_status(gateway: Gateway, clearinghouse: str | None = None) -> int:
    """Ask payers (276/277) about claims with no answer after
    ``EDIGATEWAY_SCHEDULE_STATUS_AFTER_DAYS`` (each at most once per period, see
    :func:`~edigateway.services.claim_status.inquire_stale`); how many were asked about."""
    from edigateway.services.claim_status import inquire_stale

    profile = gateway.profile(clearinghouse)
    return len(
        inquire_stale(
            gateway.database,
            client=gateway.core_client(profile),
            profile=profile,
            settings=gateway.settings,
            control_numbers=gateway.control_numbers,
            clock=gateway.clock,
            after_days=gateway.settings.schedule_status_after_days,
        )
    )


def deliver_webhooks(gateway: Gateway) -> DeliveryRun:
    """Queue new events for every enabled webhook and send those due, in order (safe to
    run from several workers at once: each endpoint is worked on under a lease)."""
    from edigateway.services.webhooks import deliver_due

    return deliver_due(gateway.database, sender=gateway.webhook_sender, clock=gateway.clock)


APPEAL_REMINDER_SECONDS: Final = 3600.0
"""Seconds between rounds of :func:`open_appeal_reminders` in ``serve``'s scheduler and
Celery beat (follow-up dates are whole days: an hour late at most)."""


def open_appeal_reminders(gateway: Gateway) -> int:
    """Open the follow-up work item of every sent, undecided appeal whose follow-up date
    has come (each once; see :func:`~edigateway.services.appeals.open_due_reminders`), so
    a reminder appears on its date even when nobody lists the work queue that day."""
    from edigateway.services.appeals import open_due_reminders

    return open_due_reminders(gateway.database, now=gateway.clock())


JOBS: dict[str, Callable[..., Any]] = {
    "post_era_file": post_era_file,
    "send_outbox": send_outbox,
    "poll_clearinghouse": poll_clearinghouse,
    "deliver_webhooks": deliver_webhooks,
    "follow_up_claim_status": follow_up_claim_status,
    "open_appeal_reminders": open_appeal_reminders,
}
"""Job name → function; Celery task names are ``edigateway.<job name>``."""
