"""What the ERA review and settling routes accept and return (issue 15, items 6-7):
payments held by a guard or awaiting approval, approving or dismissing one, writing off or
closing what a payer left, and the ERA automation policy per payer. The wire conventions
are :mod:`edigateway.api.schemas`' (money as exact strings)."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from edigateway.api.schemas import ClaimState, Money, _Out

EraPolicy = Literal["full", "semi", "review"]
AMOUNT_PATTERN = r"^[0-9]{1,10}\.[0-9]{2}$"

_PENDING_EXAMPLE: Final[dict[str, Any]] = {
    "id": 17,
    "claim": "MNY101",
    "claim_id": 41,
    "review": "held",
    "reason": "duplicate: payer claim number PCN-88 was paid 175.00 already (remittance 3)",
    "status": "1",
    "paid": "175.00",
    "charge": "175.00",
    "payer_claim_control_number": "PCN-88",
    "planned_state": "paid",
    "file": "era-0002.835",
    "trace_number": "CHK90211",
}


class PendingPayment(_Out):
    """A claim payment (835 CLP) written but not posted: held by a guard, or awaiting a
    person's approval under the payer's ERA policy. It counts in no ledger until approved."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PENDING_EXAMPLE]})

    id: int = Field(description="the claim payment's ID (approve or dismiss it by this)")
    claim: str = Field(description="the claim number the payer answered (CLP01)")
    claim_id: int | None = Field(
        description="the gateway's claim it matched; null when it matched none"
    )
    review: Literal["held", "awaiting"] = Field(
        description="held: a guard stopped it (the reason says why, with the evidence); "
        "awaiting: the payer's ERA policy (semi or review) wants a person to approve it"
    )
    reason: str = Field(description="why it is not posted, with the evidence")
    status: str = Field(
        description="CLP02 claim status (1 paid as primary, 4 denied, 22 "
        "reversal, 25 predetermination …)"
    )
    paid: Money = Field(description="CLP04: what the payer pays on it")
    charge: Money = Field(description="CLP03: the charge the payer answered")
    payer_claim_control_number: str | None = Field(description="CLP07, the payer's number")
    planned_state: ClaimState | None = Field(
        description="the state the claim moves to when it is approved"
    )
    file: str = Field(description="the 835 file it came in")
    trace_number: str = Field(description="TRN02, the check or EFT number")


class DismissRequest(BaseModel):
    """Why a payment is dismissed (kept in the claim's history); the body may be left out."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "the same check sent twice"}]}
    )

    reason: str = Field(default="", max_length=200, description="why, in the coordinator's words")


class Decided(_Out):
    """What became of a pending payment."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 17,
                    "claim": "MNY101",
                    "decision": "approved",
                    "state": "paid",
                    "items_closed": 1,
                }
            ]
        }
    )

    id: int = Field(description="the claim payment's ID")
    claim: str = Field(description="the claim number")
    decision: Literal["approved", "dismissed"] = Field(
        description="approved: its postings count now; dismissed: kept unposted for good"
    )
    state: ClaimState | None = Field(
        description="the claim's state after it; null when the payment matched no claim"
    )
    items_closed: int = Field(description="how many work items about it were resolved")
    secondary_claim: str | None = Field(
        default=None,
        description="the secondary claim built and stored (state ready) because the approved "
        "primary payment made it due, as posting it unheld would; send it with "
        "POST /v1/claims/{id}/secondary",
    )


class WriteOffRequest(BaseModel):
    """How much of what the payer left to write off; the body may be left out (all)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"amount": "45.00", "note": "timely filing: not worth appealing"}]
        },
    )

    amount: str | None = Field(
        default=None,
        pattern=AMOUNT_PATTERN,
        description=(
            "an exact amount in dollars and cents, more than 0.00 and at most what is "
            "outstanding; null or left out: all that is outstanding"
        ),
    )
    note: str = Field(default="", max_length=200, description="why (kept with the posting)")


class CloseRequest(BaseModel):
    """Why a claim is closed to the patient; the body may be left out."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "not covered: the patient pays"}]}
    )

    note: str = Field(default="", max_length=200, description="why (kept with the posting)")


class Settled(_Out):
    """A claim's balance settled by hand."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "claim": "ERA103",
                    "action": "write_off",
                    "amount": "250.00",
                    "state": "denied",
                    "outstanding": "1000.00",
                    "items_closed": 0,
                }
            ]
        }
    )

    claim: str = Field(description="the claim number")
    action: Literal["write_off", "close"] = Field(
        description="write_off: written off by the practice; close: moved to the patient"
    )
    amount: Money = Field(description="the amount written off or moved to the patient")
    state: ClaimState = Field(
        description="the claim's state after it (written_off or closed when nothing is left)"
    )
    outstanding: Money = Field(description="what is still outstanding")
    items_closed: int = Field(description="denial work items resolved")


class PolicyRequest(BaseModel):
    """An ERA automation policy."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"policy": "semi"}]})

    policy: EraPolicy = Field(
        description=(
            "full: post automatically when every guard passes; semi: the plan is computed and "
            "one approval posts the remittance; review: nothing is posted until a person "
            "approves each claim payment. Guards always win: a held payment waits for a "
            "person whatever the policy"
        )
    )


class PayerPolicy(_Out):
    """One payer's ERA automation."""

    payer_id: str = Field(description="the payer's ID")
    name: str = Field(description="the payer's name as the practice knows it")
    policy: EraPolicy | None = Field(
        description="its own policy; null: it follows the practice's default"
    )
    effective: EraPolicy = Field(description="the policy its ERAs are posted under")


class EraPolicies(_Out):
    """The practice's ERA automation: its default and each payer's."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "default": "full",
                    "payers": [
                        {
                            "payer_id": "DDPIL",
                            "name": "DELTA DENTAL OF ILLINOIS",
                            "policy": "review",
                            "effective": "review",
                        }
                    ],
                }
            ]
        }
    )

    default: EraPolicy = Field(description="the practice's default")
    payers: list[PayerPolicy] = Field(description="every payer the practice knows")
