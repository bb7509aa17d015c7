"""Splitting a claim that has more service lines than one 837D claim may carry.

The 837D allows 50 lines (2400 loops) per claim. Rather than refuse a long treatment
(a full-mouth rehabilitation easily passes 50), the claim is sent as several claims of at
most 50 lines each. Every part gets its own patient control number, ``<original>-<n>``, so
the payer's 835 comes back to the right part; its total is the sum of its lines.

Coordination of benefits survives a split only when the other payer's payment is itemised
per line (2430): each part then carries the line adjudications of its own lines and their
sum as that payer's paid amount. A claim-level-only COB payment cannot be divided honestly,
so such a claim is refused with edit ``E090`` instead of guessing. So is a claim carrying a
repricer's claim-level figures (HCP): they are the whole claim's and cannot be divided.
"""

from __future__ import annotations

from decimal import Decimal

from edigateway.domain.claims import Claim, OtherPayer
from edigateway.errors import CleanClaimError, EditFailure

MAX_PCN_LENGTH = 38


def split_claim(claim: Claim, max_lines: int) -> list[Claim]:
    """``claim`` itself when it fits, else its parts of at most ``max_lines`` lines."""
    if len(claim.lines) <= max_lines:
        return [claim]
    chunks = [claim.lines[i : i + max_lines] for i in range(0, len(claim.lines), max_lines)]
    problems = _unsplittable(claim, len(chunks))
    if problems:
        raise CleanClaimError(problems)
    parts: list[Claim] = []
    for number, lines in enumerate(chunks, start=1):
        others = [_part_of(other, lines) for other in claim.other_payers]
        parts.append(
            claim.model_copy(
                update={
                    "patient_control_number": f"{claim.patient_control_number}-{number}",
                    "total_charge": sum((line.charge for line in lines), Decimal("0.00")),
                    "lines": lines,
                    "other_payers": others,
                    "patient_amount_paid": claim.patient_amount_paid if number == 1 else None,
                }
            )
        )
    return [Claim.model_validate(part.model_dump()) for part in parts]


def part_parent(pcn: str) -> tuple[str, int] | None:
    """``(parent number, part)`` for a part's patient control number ``<pcn>-<n>`` (which
    answers for a part belong to: its 277CA, 277 and 835), ``None`` for any other number."""
    base, dash, number = pcn.rpartition("-")
    if not dash or not base or not number.isdigit() or number.startswith("0"):
        return None
    return base, int(number)


def _part_of(other: OtherPayer, lines: list) -> OtherPayer:  # type: ignore[type-arg]
    paid = sum(
        (
            adj.paid
            for line in lines
            for adj in line.adjudications
            if adj.payer_id == other.payer.payer_id
        ),
        Decimal("0.00"),
    )
    return other.model_copy(
        update={
            "paid_amount": paid if other.paid_amount is not None else None,
            "remaining_patient_liability": None,
        }
    )


def _unsplittable(claim: Claim, parts: int) -> list[EditFailure]:
    pcn = claim.patient_control_number
    failures: list[EditFailure] = []
    if len(f"{pcn}-{parts}") > MAX_PCN_LENGTH:
        failures.append(
            EditFailure(
                "E090",
                pcn,
                "patient_control_number",
                f"the claim has {len(claim.lines)} lines and must be split into {parts} claims, "
                f"but '{pcn}-{parts}' would be longer than {MAX_PCN_LENGTH} characters",
            )
        )
    if claim.repricing is not None:
        failures.append(
            EditFailure(
                "E090",
                pcn,
                "repricing",
                f"the claim has {len(claim.lines)} lines and must be split, but its repricing "
                "(HCP) is for the whole claim and cannot be divided between the parts; send the "
                "claim unsplit to the repricer or split it yourself",
            )
        )
    for index, other in enumerate(claim.other_payers):
        itemised = sum(
            (
                adj.paid
                for line in claim.lines
                for adj in line.adjudications
                if adj.payer_id == other.payer.payer_id
            ),
            Decimal("0.00"),
        )
        if other.claim_adjustments or (
            other.paid_amount is not None and other.paid_amount != itemised
        ):
            failures.append(
                EditFailure(
                    "E090",
                    pcn,
                    f"other_payers.{index}",
                    f"the claim has {len(claim.lines)} lines and must be split, but payer "
                    f"{other.payer.name}'s payment is not itemised per line (2430), so it "
                    "cannot be divided between the parts; send line adjudications or "
                    "split the claim yourself",
                )
            )
    return failures
