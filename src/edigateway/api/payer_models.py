"""What the payer routes accept and return: a practice's payers and the timely-filing
terms of its contract with each, which decide the submit warnings, the aging report's
timely-filing alerts and the secondary claims' deadlines."""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from edigateway.api.schemas import _Out
from edigateway.services.payer_limits import MAX_DAYS

_PAYER_EXAMPLE: Final[dict[str, Any]] = {
    "payer_id": "DDPIL",
    "name": "DELTA DENTAL OF ILLINOIS",
    "aliases": ["DELTA DENTAL IL"],
    "timely_filing_days": 180,
    "secondary_filing_days": 90,
}


class PayerOut(_Out):
    """One of the practice's payers (created when the first claim to it is stored)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PAYER_EXAMPLE]})

    payer_id: str = Field(description="the payer ID claims are sent with")
    name: str = Field(description="the name the practice's claims send")
    aliases: list[str] = Field(description="other names its claims or 835s have carried")
    timely_filing_days: int = Field(
        description="a claim must reach the payer within this many days of the date of "
        "service (365 until set)"
    )
    secondary_filing_days: int | None = Field(
        description="a secondary claim to this payer may instead be received within this "
        "many days of the primary payer's payment, when that ends later; null: the date of "
        "service only"
    )


class PayerList(BaseModel):
    """The practice's payers, by name."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"payers": [_PAYER_EXAMPLE]}]})

    payers: list[PayerOut] = Field(description="every payer the practice's claims have gone to")


class FilingLimitsRequest(BaseModel):
    """A payer contract's filing terms, as a whole: what is left out is not kept from
    before (a missing ``secondary_filing_days`` clears the window)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"timely_filing_days": 180, "secondary_filing_days": 90}]},
    )

    timely_filing_days: int = Field(
        ge=1, le=MAX_DAYS, description=f"days from the date of service (1–{MAX_DAYS})"
    )
    secondary_filing_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_DAYS,
        description=f"days from the primary payer's payment for secondary claims (1–{MAX_DAYS}); "
        "null or left out: none",
    )
