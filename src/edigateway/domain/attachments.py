"""Claim attachments: what each PWK report type means, the control number that ties a file
to its claim, and an attachment as the X12 275 carries it.

A payer matches an attachment to its claim by the attachment control number: the 837D's
``PWK*<type>*<transmission>***AC*<number>`` (2300) names it, and the 275's ``TRN02`` (or
the cover sheet of a mailed or faxed packet) repeats it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Final

from pydantic import Field

from edigateway.domain.claims import AttachmentReportType, AttachmentTransmission
from edigateway.domain.common import DomainModel, PersonName

REPORT_TYPES: Final[dict[str, str]] = {
    "B4": "referral form / narrative",
    "DA": "dental models",
    "DG": "diagnostic report",
    "EB": "explanation of benefits (another payer's)",
    "OZ": "support data for claim (perio chart, photographs …)",
    "P6": "periodontal charts",
    "RB": "radiology films (radiographs)",
    "RR": "radiology reports",
    "04": "drugs administered",
    "07": "anesthesia record",
    "09": "progress report",
    "PN": "physical therapy notes",
    "PO": "prosthetics or orthotic certification",
    "RX": "renewable oxygen content averaging report",
}
"""PWK01 report types an 837D may carry (005010X224A2's list), with what each is."""

FALLBACK_TRANSMISSIONS: Final = ("BM", "FX", "EM", "FT", "AA")
"""How attachments go to a payer that takes no 275: by mail, fax, e-mail, file transfer,
or kept at the practice until asked for (PWK02)."""

ControlNumber = Annotated[
    str, Field(min_length=1, max_length=50, pattern=r"^[A-Z0-9][A-Z0-9-]{0,49}$")
]
"""An attachment control number (PWK06, 275 TRN02): upper-case letters, digits and
hyphens, at most 50 — safe with any delimiter set a partner chooses."""

_CONTROL: Final = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,49}$")


def control_number(practice_npi: str, sequence: int) -> str:
    """The attachment control number of a practice's ``sequence``-th attachment:
    ``A<NPI>-<sequence>`` — unique per practice (and across practices, by the NPI), AN,
    at most 24 characters for any 10-digit NPI and a sequence below 10**12."""
    number = f"A{practice_npi}-{sequence:06d}"
    if not _CONTROL.match(number):
        raise ValueError(f"{number!r} is not an attachment control number")
    return number


class AttachmentSubmission(DomainModel):
    """One attachment as a 275 (005010X210) carries it: the parties, the claim it supports
    (its patient control number, CLM01) and the file itself."""

    reference: ControlNumber = Field(description="BGN02: the attachment's reference")
    created: date = Field(description="BGN03 and DTP*368: the day it was sent")
    payer_name: Annotated[str, Field(min_length=1, max_length=60)]
    payer_id: Annotated[str, Field(min_length=2, max_length=80)]
    submitter_name: Annotated[str, Field(min_length=1, max_length=60)]
    submitter_id: Annotated[str, Field(min_length=2, max_length=80)]
    provider_name: Annotated[str, Field(min_length=1, max_length=60)]
    provider_npi: Annotated[str, Field(pattern=r"^\d{10}$")]
    patient: PersonName
    member_id: Annotated[str, Field(min_length=1, max_length=80)]
    patient_control_number: Annotated[str, Field(min_length=1, max_length=38)]
    service_date: date | None = None
    control_number: ControlNumber = Field(description="TRN02 = the 837D's PWK06")
    data: bytes = Field(min_length=1, repr=False, description="BIN02: the file's bytes")


__all__ = [
    "AttachmentReportType",
    "AttachmentSubmission",
    "AttachmentTransmission",
    "control_number",
]
