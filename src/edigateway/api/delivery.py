"""Webhook delivery inside ``edigateway serve``: a background task that runs the use case
the worker's ``deliver_webhooks`` job runs (:func:`~edigateway.services.webhooks.deliver_due`)
every few seconds while the API is up (the embedded single-process
set-up needs no separate scheduler). Off when ``EDIGATEWAY_WEBHOOKS_DELIVER_IN_API=false``
— then ``edigateway webhooks deliver --loop`` or the Celery task does it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Final

from starlette.concurrency import run_in_threadpool

from edigateway.services.webhooks import deliver_due

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from edigateway.bootstrap import Gateway

INTERVAL: Final = 2.0
"""Seconds between delivery rounds (an event waits at most this long before its POST)."""
log = logging.getLogger(__name__)


async def _rounds(gateway: Gateway) -> None:
    while True:
        try:
            await run_in_threadpool(
                lambda: deliver_due(
                    gateway.database, sender=gateway.webhook_sender, clock=gateway.clock
                )
            )
        except Exception:  # one failed round (database away) must not end delivery
            log.exception("webhook delivery round failed; retrying in %s s", INTERVAL)
        await asyncio.sleep(INTERVAL)


@contextlib.asynccontextmanager
async def delivering(gateway: Gateway) -> AsyncIterator[None]:
    """Deliver webhooks in the background for as long as the block runs."""
    if not gateway.settings.webhooks_deliver_in_api:
        yield
        return
    task = asyncio.create_task(_rounds(gateway))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
