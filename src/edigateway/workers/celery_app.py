"""Celery wiring: one task per job of :mod:`.jobs`, built from settings, nothing at import.

Tasks are acknowledged late and rejected back to the queue when a worker dies mid-task
(``acks_late`` + ``task_reject_on_worker_lost``), take one message at a time
(``worker_prefetch_multiplier = 1``) and retry transient failures (database or transfer
errors) with exponential backoff. That is safe because every job is idempotent.

A worker process builds its :class:`~edigateway.bootstrap.Gateway` on its first task and
keeps it (database pool, code lists, keyring, real-time HTTP clients) until it shuts down:
Celery's ``worker_process_shutdown`` (a prefork child) or ``worker_shutdown`` (the solo and
thread pools run tasks in the worker itself) closes it, so the database sees its connections
end instead of dropped. Celery does not promise those signals on every exit (a killed
process sends nothing); the database then times the connections out as before.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from celery import Celery
from celery.signals import worker_process_shutdown, worker_shutdown

from edigateway.errors import PersistenceError, TransferError
from edigateway.jobs import APPEAL_REMINDER_SECONDS, JOBS

if TYPE_CHECKING:
    from edigateway.bootstrap import Gateway
    from edigateway.settings import Settings

RETRIES = 5


def make_celery(settings: Settings) -> Celery:
    """The Celery app for ``settings`` (broker ``EDIGATEWAY_BROKER_URL``)."""
    app = Celery("edigateway", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.worker_queue,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        task_serializer="json",
        accept_content=["json"],
        beat_schedule=beat_schedule(settings),
    )
    gateways: dict[str, Gateway] = {}
    building = threading.Lock()

    def close_gateway(**_: object) -> None:
        worker_process_shutdown.disconnect(close_gateway)
        worker_shutdown.disconnect(close_gateway)
        with building:
            built = gateways.pop("gateway", None)
        if built is not None:
            built.close()

    def gateway() -> Gateway:
        with building:
            if "gateway" not in gateways:
                from edigateway.bootstrap import bootstrap

                gateways["gateway"] = bootstrap(settings)
                worker_process_shutdown.connect(close_gateway, weak=False)
                worker_shutdown.connect(close_gateway, weak=False)
            return gateways["gateway"]

    for name, job in JOBS.items():

        def run(task: Any, *args: Any, _job: Any = job, **kwargs: Any) -> Any:
            try:
                return _job(gateway(), *args, **kwargs)
            except (PersistenceError, TransferError) as exc:
                raise task.retry(
                    exc=exc, countdown=min(60, 2**task.request.retries), max_retries=RETRIES
                ) from exc

        # not shared: a shared task is added to every Celery app made later in the process,
        # whose own task of that name would then be ignored (with an earlier app's gateway)
        app.task(name=f"edigateway.{name}", bind=True, shared=False)(run)
    return app


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """What Celery beat (``edigateway worker --beat``) sends on the workers' queue, at the
    intervals ``edigateway serve``'s scheduler uses (``EDIGATEWAY_SCHEDULE_*``): run one
    of the two, not both (both would only do idempotent work twice)."""
    every = {
        "send_outbox": settings.schedule_send_seconds,
        "poll_clearinghouse": settings.schedule_poll_seconds,
        "follow_up_claim_status": settings.schedule_status_minutes * 60,
        "open_appeal_reminders": APPEAL_REMINDER_SECONDS,
    }
    return {
        name: {"task": f"edigateway.{name}", "schedule": float(seconds)}
        for name, seconds in every.items()
    }


def dispatch(gateway: Gateway, job: str, *args: Any, **kwargs: Any) -> Any:
    """Run ``job`` on the workers when a broker is configured, else here and now."""
    if gateway.settings.broker_url:
        app = make_celery(gateway.settings)
        sent = app.send_task(f"edigateway.{job}", args=args, kwargs=kwargs)
        return str(sent.id)
    return JOBS[job](gateway, *args, **kwargs)
