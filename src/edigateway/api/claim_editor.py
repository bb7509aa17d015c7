"""The dashboard's claim editor form: the fields a coordinator corrects (per line: procedure,
fee, date, teeth and surfaces, oral cavity areas, removal; a blank line to add one; for the
claim: date of service, prior authorization, predetermination number, narrative) read back
into a whole corrected claim — what ``PATCH /v1/claims/{id}``, ``…/resubmit`` and
``…/replace`` take — and the use cases' problems mapped back onto those fields.

Everything the form does not show (modifiers, diagnosis pointers, line control numbers,
COB adjudication …) is kept from the stored claim for the lines kept; an added line has
none of it. The claim's total follows its lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from edigateway.domain.claims import Claim
from edigateway.errors import ClaimInputError, CleanClaimError

LINE_FIELDS = ("code", "fee", "date", "teeth", "area", "remove")
"""The form's fields of line ``i`` are ``<field>_<i>``."""
DOMAIN_FIELD = {
    "procedure_code": "code",
    "charge": "fee",
    "service_date": "date",
    "teeth": "teeth",
    "oral_cavity_areas": "area",
}
"""A line's claim field → its form field (problems are shown next to it)."""
CLAIM_FIELDS = ("service_date", "prior_authorization", "predetermination_number", "note")


@dataclass
class Outcome:
    """The corrected claim, or the problems by form field (``fee_1``, ``note``; ``""`` for
    the claim as a whole)."""

    claim: Claim | None = None
    problems: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.problems.setdefault(name, []).append(message)


def form_values(document: dict[str, Any]) -> dict[str, str]:
    """The form's fields prefilled from a claim document (JSON, as stored)."""
    values = {name: str(document.get(name) or "") for name in CLAIM_FIELDS}
    for index, line in enumerate(document["lines"]):
        values |= {
            f"code_{index}": line["procedure_code"],
            f"fee_{index}": str(line["charge"]),
            f"date_{index}": str(line.get("service_date") or ""),
            f"teeth_{index}": ", ".join(
                f"{t['tooth']} {''.join(t.get('surfaces') or [])}".strip()
                for t in line.get("teeth") or []
            ),
            f"area_{index}": ", ".join(line.get("oral_cavity_areas") or []),
        }
    return values


def _teeth(text: str) -> list[dict[str, Any]]:
    """``3 MOD, 4, 30 B`` → teeth with surfaces."""
    teeth = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        tooth, _, surfaces = part.partition(" ")
        teeth.append(
            {"tooth": tooth.upper(), "surfaces": list(re.sub(r"\s", "", surfaces.upper()))}
        )
    return teeth


def read_form(document: dict[str, Any], form: dict[str, str], count: int) -> Outcome:
    """The corrected claim from ``form`` (lines ``0 … count-1``; those past the stored
    claim's are new), or what is wrong with it."""
    outcome = Outcome()
    corrected = dict(document)
    for name in CLAIM_FIELDS:
        corrected[name] = form.get(name, "").strip() or None
    lines = []
    for index in range(count):
        value = {f: form.get(f"{f}_{index}", "").strip() for f in LINE_FIELDS}
        stored = document["lines"][index] if index < len(document["lines"]) else None
        if value["remove"] or (stored is None and not value["code"]):
            continue
        try:
            fee = Decimal(value["fee"])
        except InvalidOperation:
            outcome.add(f"fee_{index}", f"{value['fee']!r} is not an amount (e.g. 125.00)")
            continue
        line = dict(stored or {})
        line.update(
            procedure_code=value["code"].upper(),
            charge=str(fee),
            service_date=value["date"] or None,
            teeth=_teeth(value["teeth"]),
            oral_cavity_areas=[a.strip() for a in value["area"].split(",") if a.strip()],
        )
        lines.append((index, line))
    if not lines and not outcome.problems:
        outcome.add("", "a claim needs at least one line")
    if outcome.problems:
        return outcome
    corrected["lines"] = [line for _, line in lines]
    corrected["total_charge"] = str(
        sum((Decimal(line["charge"]) for _, line in lines), Decimal("0.00"))
    )
    where = [index for index, _ in lines]  # claim line position → form line
    try:
        outcome.claim = Claim.model_validate(corrected)
    except ValidationError as exc:
        for error in exc.errors():
            outcome.add(_form_field([str(p) for p in error["loc"]], where), error["msg"])
    return outcome


def _form_field(path: list[str], where: list[int]) -> str:
    """The form field a claim path (``lines.1.charge``) is shown next to."""
    if (
        len(path) >= 3
        and path[0] == "lines"
        and path[1].isdigit()
        and int(path[1]) < len(where)
        and path[2] in DOMAIN_FIELD
    ):
        return f"{DOMAIN_FIELD[path[2]]}_{where[int(path[1])]}"
    if path and path[0] in CLAIM_FIELDS:
        return path[0]
    return ""


def problems_of(exc: Exception, where: list[int]) -> dict[str, list[str]]:
    """A use case's refusal as problems by form field: each clean-claim edit with its ID."""
    outcome = Outcome()
    if isinstance(exc, CleanClaimError):
        for failure in exc.failures:
            outcome.add(
                _form_field(failure.path.split("."), where),
                f"[{failure.edit_id}] {failure.path}: {failure.message}",
            )
    elif isinstance(exc, ClaimInputError):
        for problem in exc.problems:
            outcome.add(
                _form_field(problem.path.split("."), where), f"{problem.path}: {problem.message}"
            )
    else:
        outcome.add("", str(exc))
    return outcome.problems


def kept_lines(form: dict[str, str], document: dict[str, Any], count: int) -> list[int]:
    """The form lines that make the corrected claim's lines, in order."""
    return [
        i
        for i in range(count)
        if not form.get(f"remove_{i}")
        and (i < len(document["lines"]) or form.get(f"code_{i}", "").strip())
    ]
