"""``edigateway sim``: the local clearinghouse simulator, until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer

from edigateway.cli.exits import EXIT_INVALID, exit_codes, fail
from edigateway.cli.gateway import open_gateway
from edigateway.errors import EdigatewayError


@exit_codes()
def sim(
    interval: Annotated[float, typer.Option(help="seconds between answering cycles")] = 2.0,
    sftp_port: Annotated[
        int | None, typer.Option(help="SFTP port (default EDIGATEWAY_SIM_SFTP_PORT, 2222)")
    ] = None,
    http_port: Annotated[
        int | None, typer.Option(help="HTTP port (default EDIGATEWAY_SIM_HTTP_PORT, 8089)")
    ] = None,
) -> None:
    """Run the local clearinghouse simulator on 127.0.0.1 until Ctrl-C.

    SFTP (key authentication; files in its own folder, <data_dir>-sim/sftp unless
    EDIGATEWAY_SIM_DATA_DIR says otherwise, in plain text) answers each uploaded 837D
    with TA1/999/277CA and an 835 adjudicated from mappings/simulator/; HTTP answers
    real-time 270s with 271s from the benefit-plan table. The gateway's `simulator` profile
    talks to it with no further set-up. Example: ``edigateway sim --interval 1``
    """
    import time

    from edigateway.sim.runner import Simulator

    with open_gateway() as gateway:
        try:
            simulator = Simulator(
                gateway.settings,
                validator=gateway.validator,
                clock=gateway.clock,
                sftp_port=sftp_port,
                http_port=http_port,
            )
        except (OSError, EdigatewayError) as exc:  # a port taken is the user's to fix: 1
            raise fail(f"cannot start the simulator: {exc}", EXIT_INVALID) from exc
        simulator.start(interval=interval)
        try:
            typer.echo(simulator.notice)
            typer.echo(
                f"SFTP  127.0.0.1:{simulator.sftp.port}  host key {simulator.sftp.host_key_line}"
            )
            typer.echo(f"HTTP  {simulator.http.url}/core/realtime")
            typer.echo(f"files {simulator.root}; answering every {interval:g} s; Ctrl-C stops")
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            typer.echo("stopped")
        finally:
            simulator.stop()
