"""What the claim-fixing routes accept and return (issue 16, fix and resend): cancelling a
claim and resending a rejected one. The wire conventions are :mod:`edigateway.api.schemas`'
(money as exact strings, times in UTC)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from edigateway.api.examples import CLAIM_CREATED
from edigateway.api.schemas import ClaimSummary, SubmitWarning, _Out


class CancelRequest(BaseModel):
    """Why a claim is cancelled (kept in its history); the body may be left out."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "patient rescheduled; treatment not done"}]},
    )

    reason: str | None = Field(
        default=None, max_length=200, description="why, in the coordinator's words"
    )


class Resubmitted(_Out):
    """The corrected claim stored as a new claim and queued in an 837D; the rejected one
    is ``resubmitted`` (superseded by it). ``warnings`` says when the new claim is near or
    past its payer's timely-filing limit, as a submit answer does."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "claim": {
                        **{k: v for k, v in CLAIM_CREATED.items() if k != "status"},
                        "id": 43,
                        "state": "queued",
                    },
                    "resubmission_of": 41,
                    "submission_id": 7,
                    "file_name": "837D-000000015.x12",
                    "interchange_control_number": "000000015",
                    "work_items_closed": [12],
                    "warnings": [
                        {
                            "code": "timely_filing_due",
                            "message": "must be received by 2026-12-04 (11 days left)",
                            "claim": CLAIM_CREATED["patient_control_number"],
                            "deadline": "2026-12-04",
                            "days_left": 11,
                        }
                    ],
                }
            ]
        }
    )

    claim: ClaimSummary = Field(description="the new claim (state queued)")
    resubmission_of: int = Field(description="the rejected claim it supersedes")
    submission_id: int = Field(
        description="the 837D's transmission ID (GET "
        "/v1/transmissions); the outbox sender uploads it"
    )
    file_name: str = Field(description="the 837D's file name")
    interchange_control_number: str = Field(description="its ISA13")
    work_items_closed: list[int] = Field(description="the rejection work items this resolved")
    warnings: list[SubmitWarning] = Field(
        description="the new claim, when its timely-filing deadline is within 30 days or "
        "past (empty when not): it was queued all the same"
    )
