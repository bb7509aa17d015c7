"""``edigateway webhooks``: deliver the event outbox to registered webhooks, and a local
receiver that prints deliveries after verifying their signatures (for a PM developer)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from edigateway.cli.exits import EXIT_UNREADABLE, exit_codes, fail
from edigateway.cli.gateway import open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.services.webhooks import DeliveryRun

app = typer.Typer(help="Webhook delivery and a local receiver.", no_args_is_help=True)


@app.command("deliver")
@exit_codes()
def deliver(
    as_json: JsonOption = False,
    loop: Annotated[bool, typer.Option(help="keep delivering until stopped (Ctrl-C)")] = False,
    interval: Annotated[
        float, typer.Option(min=0.5, max=300, help=("seconds between rounds with --loop"))
    ] = 2.0,
) -> None:
    """Send due webhook deliveries (new events, retries that are due), in order per
    endpoint — the worker's deliver_webhooks job. Run it with --loop as the scheduler
    when `edigateway serve` does not deliver itself (EDIGATEWAY_WEBHOOKS_DELIVER_IN_API).

    Example: ``edigateway webhooks deliver --loop``
    """
    from edigateway.jobs import deliver_webhooks

    with open_gateway() as gateway:
        while True:
            run = deliver_webhooks(gateway)
            if not loop:
                break
            if run.delivered or run.failed_attempts:
                emit(run, json=as_json, text=_run_lines)
            time.sleep(interval)
    emit(run, json=as_json, text=_run_lines)


def _run_lines(run: DeliveryRun) -> Iterator[str]:
    yield (
        f"{run.delivered} delivered, {run.failed_attempts} failed attempt(s)"
        + (f"; disabled webhook(s) {', '.join(map(str, run.disabled))}" if run.disabled else "")
    )


@app.command("listen")
@exit_codes()
def listen(
    secret: Annotated[
        str,
        typer.Option(
            help=("the webhook's secret (whsec_…, shown when it was registered)"),
            envvar="EDIGATEWAY_WEBHOOK_SECRET",
        ),
    ],
    port: Annotated[int, typer.Option(min=1, max=65535, help="port on 127.0.0.1")] = 8765,
) -> None:
    """Receive webhooks on http://127.0.0.1:PORT/ and print each delivery once its
    signature verifies (a bad signature is answered 400 and printed as such). Register
    http://127.0.0.1:PORT/ as the webhook's URL on a gateway that allows private URLs
    (EDIGATEWAY_WEBHOOKS_ALLOW_PRIVATE_URLS=true). Stop with Ctrl-C.

    Example: ``edigateway webhooks listen --secret whsec_… --port 8765``
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from standardwebhooks import Webhook
    from standardwebhooks.webhooks import WebhookVerificationError

    try:
        verifier = Webhook(secret)
    except Exception as exc:  # the package raises plain errors for a malformed secret
        raise fail(f"--secret: not a webhook secret ({exc})", EXIT_UNREADABLE) from exc

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 1 << 20))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                event = verifier.verify(body, headers)
            except (WebhookVerificationError, ValueError) as exc:
                typer.echo(f"REFUSED {headers.get('webhook-id', '?')}: {exc}", err=True)
                self.send_response(400)
                self.end_headers()
                return
            typer.echo(json.dumps(event, sort_keys=True))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    typer.echo(
        f"listening on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", err=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
