"""The ``edigateway`` command line: one module per command group, assembled here.

Exit codes are the same everywhere: 0 ok, 1 invalid input or a business failure (an invalid
file, failed clean-claim edits), 2 usage errors and files that cannot be read or whose
version/transaction is not supported (:mod:`.exits` maps our errors to them). ``--json``
output is for machines; everything else is for people (:mod:`.output`). Every command
takes its gateway from :mod:`.gateway` and closes it when done. Commands only read their
arguments, call a use case (a service, or the worker's job for the same work) and print.
"""

from __future__ import annotations

import typer

from edigateway.cli import (
    appeals,
    audit,
    claim_changes,
    claim_extras,
    claim_settle,
    claim_views,
    claims,
    codes,
    db,
    demo,
    eligibility,
    era,
    estimate,
    fees,
    keys,
    payers,
    report,
    schema,
    serve,
    sim,
    users,
    visits,
    webhooks,
    workqueue,
    x12,
)

app = typer.Typer(
    name="edigateway",
    help="EDI gateway for dental practices: 837D claims, 270/271, 835 posting.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("schema")(schema.schema)
app.command("demo")(demo.demo)
app.command("estimate")(estimate.estimate_command)
app.command("sim")(sim.sim)
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
app.add_typer(x12.app, name="x12")
for name, command in (
    ("show", claim_views.claims_show),
    ("list", claim_views.claims_list),
    ("send-secondary", claim_extras.claims_send_secondary),
    ("attach", claim_extras.claims_attach),
    ("edit", claim_changes.claims_edit),
    ("cancel", claim_changes.claims_cancel),
    ("resubmit", claim_changes.claims_resubmit),
    ("replace", claim_changes.claims_replace),
    ("void", claim_changes.claims_void),
    ("write-off", claim_settle.claims_write_off),
    ("close", claim_settle.claims_close),
):
    claims.app.command(name)(command)
app.add_typer(claims.app, name="claims")
app.add_typer(era.app, name="era")
app.add_typer(report.app, name="report")
app.add_typer(workqueue.app, name="workqueue")
app.add_typer(appeals.app, name="appeals")
app.add_typer(payers.app, name="payers")
app.add_typer(eligibility.app, name="eligibility")
app.add_typer(visits.app, name="visits")
app.add_typer(fees.app, name="fees")
app.add_typer(keys.app, name="keys")
app.add_typer(users.app, name="users")
app.add_typer(audit.app, name="audit")
app.add_typer(db.app, name="db")
app.add_typer(codes.app, name="codes")
app.add_typer(webhooks.app, name="webhooks")


def main() -> None:
    """Console-script entry point."""
    app()
