"""Claim use cases: read claim JSON, apply the clean-claim edits, build the 837D.

Claim documents are accepted in three shapes, so a PM system can send what it has:
a batch (``{"submitter": …, "receiver": …, "claims": [...]}``), a list of claims, or one
claim. Schema problems come back as :class:`~edigateway.errors.ClaimInputError` with the
JSON path of each bad field; edit failures as :class:`~edigateway.errors.CleanClaimError`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from edigateway.domain.claims import ClaimBatch, Contact, Receiver, Submitter
from edigateway.domain.edits import ensure_clean
from edigateway.errors import ClaimInputError, FieldProblem
from edigateway.x12.envelope import InterchangeParams
from edigateway.x12.x837d_005010X224A2 import write_837d

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from edigateway.services.control_numbers import ControlNumberSource
    from edigateway.settings import Settings


def parse_claim_document(document: Any, source: str) -> ClaimBatch:
    """A claim document (batch, list or single claim) as a validated :class:`ClaimBatch`."""
    if isinstance(document, list):
        document = {"claims": document}
    elif isinstance(document, dict) and "claims" not in document:
        document = {"claims": [document]}
    try:
        return ClaimBatch.model_validate(document)
    except ValidationError as exc:
        problems = [
            FieldProblem(".".join(str(p) for p in err["loc"]) or "(document)", err["msg"])
            for err in exc.errors()
        ]
        raise ClaimInputError(source, problems) from exc


def load_claim_file(path: Path) -> ClaimBatch:
    """Read claims from a JSON file (see :func:`parse_claim_document`)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ClaimInputError(
            str(path), [FieldProblem(f"line {exc.lineno} column {exc.colno}", exc.msg)]
        ) from exc
    return parse_claim_document(document, str(path))


def default_parties(settings: Settings) -> tuple[Submitter, Receiver]:
    """Submitter (1000A) and receiver (1000B) named by the settings."""
    submitter = Submitter(
        name=settings.submitter_name,
        identifier=settings.submitter_id,
        contact=Contact(
            name=settings.submitter_contact_name, phone=settings.submitter_contact_phone
        ),
    )
    return submitter, Receiver(name=settings.receiver_name, identifier=settings.receiver_id)


def build_837d(
    batch: ClaimBatch,
    *,
    settings: Settings,
    control_numbers: ControlNumberSource,
    clock: Callable[[], datetime],
) -> str:
    """Edit, then write the 837D for ``batch``; raises CleanClaimError when edits fail."""
    now = clock()
    ensure_clean(batch, today=now.date())
    numbers = control_numbers.allocate(settings.isa_sender_id)
    params = InterchangeParams.outbound(settings, None, numbers, now)
    submitter, receiver = default_parties(settings)
    return write_837d(batch, params, submitter=submitter, receiver=receiver)
