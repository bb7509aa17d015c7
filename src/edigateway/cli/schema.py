"""``edigateway schema``: the JSON Schemas of what the gateway reads."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from edigateway.cli.exits import EXIT_UNREADABLE, fail


def schema(
    name: Annotated[
        str, typer.Argument(help="claim, batch, inquiry, plan or clearinghouse")
    ] = "claim",
) -> None:
    """Print the JSON Schema of a claim, a claim batch, an eligibility inquiry or a plan.

    Example: ``edigateway schema claim > claim.schema.json``
    """
    from edigateway.clearinghouses import ClearinghouseProfile
    from edigateway.domain.claims import Claim, ClaimBatch
    from edigateway.domain.eligibility import EligibilityInquiry, TreatmentPlan

    models: dict[str, Any] = {
        "claim": Claim,
        "batch": ClaimBatch,
        "inquiry": EligibilityInquiry,
        "plan": TreatmentPlan,
        "clearinghouse": ClearinghouseProfile,
    }
    if name not in models:
        raise fail(f"unknown schema {name!r}; choose {', '.join(models)}", EXIT_UNREADABLE)
    typer.echo(json.dumps(models[name].model_json_schema(), indent=2))
