"""``edigateway serve`` and ``edigateway worker``: the long-running processes (the HTTP
API, a Celery worker)."""

from __future__ import annotations

from typing import Annotated

import typer

from edigateway.cli.exits import EXIT_UNREADABLE, exit_codes, fail
from edigateway.cli.gateway import cli_settings, open_gateway


@exit_codes()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes (PostgreSQL only)")] = 1,
    scheduler: Annotated[
        bool,
        typer.Option(
            "--scheduler/--no-scheduler",
            help="send the outbox, poll the clearinghouse and follow up claim status on "
            "the EDIGATEWAY_SCHEDULE_* intervals (default: EDIGATEWAY_SCHEDULE_ENABLED, on); "
            "off when Celery beat or cron does it",
        ),
    ] = True,
) -> None:
    """Serve the PM-facing HTTP API (OpenAPI at /v1/openapi.json, docs at /v1/docs) and,
    unless ``--no-scheduler``, send, poll and follow up by itself, so a running gateway
    needs no cron.

    Example: ``edigateway serve --port 8000``; create a key first with
    ``edigateway keys create --practice <NPI> --scopes admin``.
    """
    import uvicorn

    from edigateway.api.app import create_app
    from edigateway.security.redaction import install

    with open_gateway() as gateway:
        gateway.database  # noqa: B018 - open and migrate before taking requests
        if workers > 1:
            raise fail(
                "several workers need a process manager and PostgreSQL; run one "
                "`edigateway serve` per core behind a proxy (see deploy/)",
                EXIT_UNREADABLE,
            )
        app = create_app(gateway, schedule=scheduler and gateway.settings.schedule_enabled)
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        install()  # after uvicorn configured its loggers, so their handlers get the filter
        server.run()


@exit_codes()
def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="tasks at once in this worker (processes)")
    ] = 1,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "WARNING",
    beat: Annotated[
        bool,
        typer.Option(
            help="also run Celery beat in this worker: send, poll and follow up "
            "on the EDIGATEWAY_SCHEDULE_* intervals (one such worker only; then "
            "run `serve --no-scheduler`)"
        ),
    ] = False,
) -> None:
    """Run a Celery worker: ERA posting, outbox sending and polling from the broker.

    Needs EDIGATEWAY_BROKER_URL (RabbitMQ: amqp://guest:guest@127.0.0.1:5672//) and, to
    share work with other workers, PostgreSQL (EDIGATEWAY_DATABASE_URL). Tasks are
    acknowledged after they finish and are idempotent, so a killed worker's task is
    simply done again. Example: ``edigateway worker --concurrency 2``
    """
    import os

    from edigateway.workers.celery_app import make_celery

    settings = cli_settings()
    if not settings.broker_url:
        raise fail(
            "no broker: set EDIGATEWAY_BROKER_URL (without one, commands run their "
            "jobs in-process and no worker is needed)",
            EXIT_UNREADABLE,
        )
    pool = "solo" if concurrency == 1 else "prefork"
    make_celery(settings).worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--pool={pool}",
            f"--loglevel={loglevel}",
            "-Q",
            settings.worker_queue,
            "--without-gossip",
            "--without-mingle",
            f"--hostname=edigateway-{os.getpid()}@%h",
            *(
                ["--beat", f"--schedule={settings.data_dir / 'celerybeat-schedule'}"]
                if beat
                else []
            ),
        ]
    )  # several workers may share a host
