"""The gateway's own clock inside ``edigateway serve``: background rounds that run the
workers' jobs (:mod:`edigateway.jobs`) on a schedule while the API is up, so a
running gateway sends, collects and follows up without cron or a separate worker.

One scheduler, one asyncio task per job, each job in a thread (they block on the database
and the network):

* webhook delivery every :data:`WEBHOOK_SECONDS` — on whenever
  ``EDIGATEWAY_WEBHOOKS_DELIVER_IN_API`` is (the default), as before;
* the outbox sender every ``EDIGATEWAY_SCHEDULE_SEND_SECONDS``, the clearinghouse poller
  every ``EDIGATEWAY_SCHEDULE_POLL_SECONDS`` and the claim-status follow-up (276/277 for
  claims with no answer after ``EDIGATEWAY_SCHEDULE_STATUS_AFTER_DAYS``) every
  ``EDIGATEWAY_SCHEDULE_STATUS_MINUTES``, and the appeal follow-up reminders every hour —
  when ``serve`` is asked to schedule them (``EDIGATEWAY_SCHEDULE_ENABLED``, on by
  default; ``serve --no-scheduler`` turns them off when Celery beat or cron does this
  instead).

Every job is idempotent and safe beside another process doing the same (the outbox and
poller take their rows under locks), so a round that overlaps a worker's task or a
command-line run does no harm. A failed round is logged and the next one comes at its
time: an unreachable clearinghouse must not end the schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from starlette.concurrency import run_in_threadpool

from edigateway.errors import EdigatewayError
from edigateway.jobs import (
    APPEAL_REMINDER_SECONDS,
    deliver_webhooks,
    follow_up_claim_status,
    open_appeal_reminders,
    poll_clearinghouse,
    send_outbox,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from edigateway.bootstrap import Gateway

WEBHOOK_SECONDS: Final = 2.0
"""Seconds between webhook delivery rounds (an event waits at most this long)."""
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Every:
    """A job and how many seconds apart its rounds start."""

    name: str
    seconds: float
    run: Callable[[], object]


def jobs(gateway: Gateway, *, exchange: bool) -> list[Every]:
    """What runs in the background: webhooks (per their setting) and, with ``exchange``,
    sending, polling and the claim-status follow-up at the settings' intervals."""
    settings = gateway.settings
    found: list[Every] = []
    if settings.webhooks_deliver_in_api:
        found.append(Every("deliver_webhooks", WEBHOOK_SECONDS, lambda: deliver_webhooks(gateway)))
    if exchange:
        found += [
            Every("send_outbox", settings.schedule_send_seconds, lambda: send_outbox(gateway)),
            Every(
                "poll_clearinghouse",
                settings.schedule_poll_seconds,
                lambda: poll_clearinghouse(gateway),
            ),
            Every(
                "follow_up_claim_status",
                settings.schedule_status_minutes * 60.0,
                lambda: follow_up_claim_status(gateway),
            ),
            Every(
                "open_appeal_reminders",
                APPEAL_REMINDER_SECONDS,
                lambda: open_appeal_reminders(gateway),
            ),
        ]
    return found


async def _rounds(job: Every) -> None:
    while True:
        try:
            await run_in_threadpool(job.run)
        except EdigatewayError as exc:
            # Ours say what failed and where (the clearinghouse away, a refused login): one
            # line an operator reads, not a traceback every round while it stays away.
            log.warning("%s round failed: %s; next in %s s", job.name, exc, job.seconds)
        except Exception:  # one failed round must not end the schedule
            log.exception("%s round failed; next in %s s", job.name, job.seconds)
        await asyncio.sleep(job.seconds)


@contextlib.asynccontextmanager
async def scheduling(gateway: Gateway, *, exchange: bool = False) -> AsyncIterator[None]:
    """Run :func:`jobs` in the background for as long as the block runs."""
    tasks = [
        asyncio.create_task(_rounds(job), name=job.name) for job in jobs(gateway, exchange=exchange)
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
