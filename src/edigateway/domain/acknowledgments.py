"""Acknowledgments a clearinghouse or payer sends back: TA1, 999 and 277CA, without X12.

Three answers arrive for every claim file we send, each one level deeper:

* :class:`InterchangeAck` (TA1) — was the envelope (ISA/IEA) readable at all?
* :class:`FunctionalAck` (999) — did each transaction set pass the guide's syntax rules?
  A rejected 837 never reaches a payer, so a coordinator must fix and resend it.
* :class:`ClaimAck` (277CA, one per claim) — did the payer take the claim into
  adjudication? Only an accepted claim can lead to an 835.

Codes are kept exactly as received (they are what a clearinghouse's support desk asks for)
and each model also carries plain words for them, filled in from the codes so they can never
disagree with them::

    >>> InterchangeAck(interchange_control_number="000000101", interchange_date=date(2024, 10, 18),
    ...                interchange_time=time(3, 7), ack_code="R", note_code="024").note_description
    'Invalid interchange content (e.g. an invalid GS segment)'
    >>> ClaimAck(patient_control_number="PC1", category_code="A7", status_code="562",
    ...          entity_code="85").status
    'rejected'

Code meanings come from the X12 code lists (TA105 = element I18; IK304 = 620; IK403 = 621;
IK502 = 618; AK905 = 716; STC category = external code source 507, status = 508, entity =
element 98). Lists 507/508 are large and change three times a year; only the codes a dental
277CA commonly carries are described here, and an unknown code is described as unknown,
never refused (payers send new codes before anyone updates a list).

How a 277CA category becomes :data:`ClaimStatus` (the decision a coordinator acts on):

=========================  ===========  ==============================================
category (STC01-1)         status       why
=========================  ===========  ==============================================
A0, A1, A2, A5             accepted     forwarded, received, or in adjudication: nothing
                                        to fix; wait for the 835 (a later 277CA may still
                                        reject an A0/A1 claim, and then says A3–A8)
A3, A4, A6, A7, A8         rejected     returned unprocessable, not found, or missing /
                                        invalid / relational information: fix and resend
anything else (P*, E*, …)  pending      not an acceptance or rejection; a person looks
=========================  ===========  ==============================================

A claim is rejected when *any* of its statuses (STC01, STC10, STC11, further STC segments)
has a rejecting category; otherwise its first STC01 decides.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import BeforeValidator, Field, model_validator

from edigateway.domain.code_lists import (
    CLAIM_STATUS_CATEGORIES,
    CLAIM_STATUS_CODES,
    describe_code,
)
from edigateway.domain.common import DomainModel, Money

# --------------------------------------------------------------------------- code meanings

TA1_NOTE_CODES: Final[dict[str, str]] = {
    "000": "No error",
    "001": "Interchange control numbers in ISA13 and IEA02 do not match (the ISA value is "
    "acknowledged)",
    "002": "The control standard in the ISA is not supported",
    "003": "This version of the interchange controls (ISA12) is not supported",
    "004": "The segment terminator is invalid",
    "005": "Invalid sender ID qualifier (ISA05)",
    "006": "Invalid sender ID (ISA06)",
    "007": "Invalid receiver ID qualifier (ISA07)",
    "008": "Invalid receiver ID (ISA08)",
    "009": "Unknown receiver ID (ISA08)",
    "010": "Invalid authorization information qualifier (ISA01)",
    "011": "Invalid authorization information (ISA02)",
    "012": "Invalid security information qualifier (ISA03)",
    "013": "Invalid security information (ISA04)",
    "014": "Invalid interchange date (ISA09)",
    "015": "Invalid interchange time (ISA10)",
    "016": "Invalid interchange standards identifier / repetition separator (ISA11)",
    "017": "Invalid interchange version (ISA12)",
    "018": "Invalid interchange control number (ISA13)",
    "019": "Invalid acknowledgment requested value (ISA14)",
    "020": "Invalid test indicator (ISA15)",
    "021": "Invalid number of included groups (IEA01)",
    "022": "Invalid control structure",
    "023": "The file ended too early (premature end of file)",
    "024": "Invalid interchange content (e.g. an invalid GS segment)",
    "025": "Duplicate interchange control number (ISA13 was used before)",
    "026": "Invalid data element separator",
    "027": "Invalid component element separator (ISA16)",
    "028": "Invalid delivery date in a deferred delivery request",
    "029": "Invalid delivery time in a deferred delivery request",
    "030": "Invalid delivery time code in a deferred delivery request",
    "031": "Invalid grade of service code",
}
"""TA105 interchange note codes (element I18)."""

ACK_CODES: Final[dict[str, str]] = {
    "A": "accepted",
    "E": "accepted, but errors were noted",
    "M": "rejected: message authentication code (MAC) failed",
    "P": "partially accepted: at least one transaction set was rejected",
    "R": "rejected",
    "W": "rejected: assurance failed validity tests",
    "X": "rejected: content after decryption could not be analysed",
}
"""TA104, IK501 and AK901 acknowledgment codes (TA104 uses A, E, R only)."""

SEGMENT_ERROR_CODES: Final[dict[str, str]] = {
    "1": "unrecognized segment ID",
    "2": "unexpected segment",
    "3": "required segment missing",
    "4": "loop occurs more often than allowed",
    "5": "segment occurs more often than allowed",
    "6": "segment not in the defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
    "I4": "segment present that the guide marks as not used",
    "I6": "segment the guide requires in this situation is missing",
    "I7": "loop occurs fewer times than the guide requires",
    "I8": "segment occurs fewer times than the guide requires",
    "I9": "segment present that the guide marks as not used in this situation",
}
"""IK304 implementation segment syntax error codes (element 620)."""

ELEMENT_ERROR_CODES: Final[dict[str, str]] = {
    "1": "required data element missing",
    "2": "conditionally required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated (elements that must not appear together)",
    "12": "too many repetitions",
    "13": "too many components",
    "I6": "code value not used in this implementation guide",
    "I9": "data element the guide requires in this situation is missing",
    "I10": "data element present that the guide marks as not used",
    "I11": "too few repetitions for the guide",
    "I12": "value does not match the pattern the guide requires",
    "I13": "data element present that the guide marks as not used in this situation",
}
"""IK403 implementation data element syntax error codes (element 621)."""

TRANSACTION_ERROR_CODES: Final[dict[str, str]] = {
    "1": "transaction set not supported",
    "2": "transaction set trailer (SE) missing",
    "3": "control numbers in ST02 and SE02 do not match",
    "4": "number of included segments (SE01) does not match the actual count",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier (ST01)",
    "7": "missing or invalid transaction set control number (ST02)",
    "8": "authentication key name unknown",
    "9": "encryption key name unknown",
    "10": "requested service (authentication or encryption) not available",
    "11": "unknown security recipient",
    "12": "incorrect message length (encryption only)",
    "13": "message authentication code failed",
    "15": "unknown security originator",
    "16": "syntax error in decrypted text",
    "17": "security not supported",
    "18": "transaction set not in a functional group",
    "19": "invalid implementation convention reference (ST03)",
    "23": "transaction set control number not unique within the functional group",
    "24": "S3E security end segment missing for S3S security start segment",
    "25": "S3S security start segment missing for S3E security end segment",
    "26": "S4E security end segment missing for S4S security start segment",
    "27": "S4S security start segment missing for S4E security end segment",
    "I5": "one or more segments in error against the implementation guide",
    "I6": "implementation convention not supported",
}
"""IK502–IK506 implementation transaction set syntax error codes (element 618)."""

GROUP_ERROR_CODES: Final[dict[str, str]] = {
    "1": "functional group not supported",
    "2": "functional group version not supported",
    "3": "functional group trailer (GE) missing",
    "4": "group control numbers in GS06 and GE02 do not agree",
    "5": "number of included transaction sets (GE01) does not match the actual count",
    "6": "group control number violates syntax",
    "10": "authentication key name unknown",
    "11": "encryption key name unknown",
    "12": "requested service (authentication or encryption) not available",
    "13": "unknown security recipient",
    "14": "unknown security originator",
    "15": "syntax error in decrypted text",
    "16": "security not supported",
    "17": "incorrect message length (encryption only)",
    "18": "message authentication code failed",
    "19": "functional group control number not unique within the interchange",
    "23": "S3E security end segment missing for S3S security start segment",
    "24": "S3S security start segment missing for S3E security end segment",
    "25": "S4E security end segment missing for S4S security start segment",
    "26": "S4S security start segment missing for S4E security end segment",
}
"""AK905–AK909 functional group syntax error codes (element 716)."""

ENTITY_CODES: Final[dict[str, str]] = {
    "40": "receiver",
    "41": "submitter",
    "71": "attending provider",
    "77": "service location",
    "82": "rendering provider",
    "85": "billing provider",
    "87": "pay-to provider",
    "DN": "referring provider",
    "IL": "subscriber",
    "PR": "payer",
    "QC": "patient",
}
"""Entity identifier codes (element 98) used in STC01-3."""

ACCEPTED_CATEGORIES: Final = frozenset({"A0", "A1", "A2", "A5"})
REJECTED_CATEGORIES: Final = frozenset({"A3", "A4", "A6", "A7", "A8"})


describe = describe_code
"""The plain words for a code in one of these tables (see :func:`describe_code`)."""


# --------------------------------------------------------------------------- derived fields


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


class _Derived(DomainModel):
    """A model whose plain-words fields are computed from its codes.

    They are filled when absent and refused when given with a different value, so a model
    dumped to JSON validates back unchanged and a description can never contradict its code.
    """

    _derived_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _derive(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The derived fields' values for the raw input ``data``."""
        return {}

    @classmethod
    def _defaults(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Values that follow from the codes unless the input states them."""
        return {}

    @model_validator(mode="before")
    @classmethod
    def _fill_derived(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        derived = cls._derive(data)
        for key, value in derived.items():
            given = data.get(key)
            if given is not None and given != value:
                raise ValueError(f"{key} is derived from the codes as {value!r}, not {given!r}")
        defaults = {
            k: v for k, v in cls._defaults({**data, **derived}).items() if data.get(k) is None
        }
        return {**data, **derived, **defaults}


# --------------------------------------------------------------------------- TA1

InterchangeAckCode = Literal["A", "E", "R"]
"""TA104: A accepted, E accepted with errors noted, R rejected."""

ControlNumber = Annotated[str, Field(pattern=r"^[0-9]{1,9}$")]


def _nine_digits(value: object) -> object:
    return value.zfill(9) if isinstance(value, str) and value.isdigit() else value


InterchangeControlNumber = Annotated[
    str, BeforeValidator(_nine_digits), Field(pattern=r"^[0-9]{9}$")
]
"""An ISA13 as nine digits: a TA101 written ``101`` is read as ``000000101`` so it matches
the ISA13 we stored when sending."""


class InterchangeAck(_Derived):
    """A TA1: the receiver's verdict on one interchange envelope (our ISA…IEA)."""

    interchange_control_number: InterchangeControlNumber = Field(
        description="TA101: the ISA13 of the interchange acknowledged"
    )
    interchange_date: date = Field(description="TA102: its ISA09 date")
    interchange_time: time = Field(description="TA103: its ISA10 time")
    ack_code: InterchangeAckCode = Field(description="TA104")
    note_code: Annotated[str, Field(pattern=r"^[0-9]{3}$")] = Field(description="TA105")
    note_description: str = ""

    @classmethod
    def _derive(cls, data: dict[str, Any]) -> dict[str, Any]:
        return {"note_description": describe(TA1_NOTE_CODES, data.get("note_code"))}

    @property
    def accepted(self) -> bool:
        """Whether the interchange was taken (A or E); R means nothing in it was read."""
        return self.ack_code != "R"


# --------------------------------------------------------------------------- 999

GroupAckCode = Literal["A", "E", "M", "P", "R", "W", "X"]
"""AK901 (see :data:`ACK_CODES`)."""
TransactionAckCode = Literal["A", "E", "M", "R", "W", "X"]
"""IK501 (see :data:`ACK_CODES`)."""
Position = Annotated[int, Field(ge=1)]
ErrorCode = Annotated[str, Field(pattern=r"^[0-9A-Z]{1,3}$")]


class AckContext(DomainModel):
    """A CTX segment: which business unit (e.g. ``CLM01`` = our patient control number)
    held the error, or which segment triggered a situational rule."""

    name: Annotated[str, Field(min_length=1)] = Field(
        description="CTX01-1: 'SITUATIONAL TRIGGER' or a business unit name like CLM01"
    )
    reference: str | None = Field(
        default=None,
        description="CTX01-2: the business unit's value, e.g. the claim's patient control number",
    )
    segment_id: str | None = Field(default=None, description="CTX02")
    segment_position: Position | None = Field(default=None, description="CTX03")
    loop_id: str | None = Field(default=None, description="CTX04")
    element_position: Position | None = Field(default=None, description="CTX05-1")
    component_position: Position | None = Field(default=None, description="CTX05-2")
    repetition_position: Position | None = Field(default=None, description="CTX05-3")
    element_reference: str | None = Field(default=None, description="CTX06-1")


class AckError(_Derived):
    """One error a 999 reports: a segment (IK3) and, when known, one of its elements (IK4).

    A segment with several bad elements gives one :class:`AckError` per element, each
    repeating the segment's fields; the writer joins them under one IK3 again.
    """

    segment_id: Annotated[str, Field(pattern=r"^[A-Z0-9]{2,3}$")] = Field(description="IK301")
    segment_position: Position = Field(description="IK302: position counted from ST = 1")
    loop_id: str | None = Field(default=None, description="IK303, e.g. 2300")
    segment_error_code: ErrorCode | None = Field(default=None, description="IK304")
    segment_contexts: list[AckContext] = Field(default_factory=list, description="CTX after IK3")
    element_position: Position | None = Field(default=None, description="IK401-1")
    component_position: Position | None = Field(default=None, description="IK401-2")
    repetition_position: Position | None = Field(default=None, description="IK401-3")
    element_reference: str | None = Field(
        default=None, description="IK402: data element dictionary number, e.g. 782"
    )
    element_error_code: ErrorCode | None = Field(default=None, description="IK403")
    bad_value: str | None = Field(default=None, description="IK404: copy of the bad value")
    element_contexts: list[AckContext] = Field(default_factory=list, description="CTX after IK4")
    segment_error_description: str | None = None
    element_error_description: str | None = None

    @classmethod
    def _derive(cls, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "segment_error_description": describe(
                SEGMENT_ERROR_CODES, data.get("segment_error_code")
            ),
            "element_error_description": describe(
                ELEMENT_ERROR_CODES, data.get("element_error_code")
            ),
        }

    @model_validator(mode="after")
    def _element_needs_position(self) -> AckError:
        has_element = (
            any(
                v is not None
                for v in (
                    self.element_reference,
                    self.element_error_code,
                    self.bad_value,
                    self.component_position,
                    self.repetition_position,
                )
            )
            or self.element_contexts
        )
        if has_element and self.element_position is None:
            raise ValueError("element details (IK402–IK404, CTX) need element_position (IK401)")
        if self.element_position is not None and self.element_error_code is None:
            raise ValueError("an element error (IK4) needs element_error_code (IK403)")
        return self

    @property
    def message(self) -> str:
        """The error in one sentence, e.g. ``CLM at segment 22 (loop 2300): segment has data
        element errors; CLM02: invalid code value ('X')``."""
        where = f"{self.segment_id} at segment {self.segment_position}"
        if self.loop_id:
            where += f" (loop {self.loop_id})"
        parts = [self.segment_error_description or "error"]
        if self.element_position is not None:
            element = f"{self.segment_id}{self.element_position:02d}"
            if self.component_position is not None:
                element += f"-{self.component_position}"
            detail = f"{element}: {self.element_error_description}"
            if self.bad_value:
                detail += f" ({self.bad_value!r})"
            parts.append(detail)
        claims = [c.reference for c in self.segment_contexts if c.reference]
        if claims:
            parts.append("in " + ", ".join(claims))
        return f"{where}: " + "; ".join(parts)


class TransactionAck(_Derived):
    """One transaction set of the acknowledged group (AK2 … IK5)."""

    transaction_set_id: Annotated[str, Field(pattern=r"^[0-9]{3}$")] = Field(description="AK201")
    control_number: Annotated[str, Field(min_length=1, max_length=9)] = Field(
        description="AK202: the ST02 acknowledged"
    )
    implementation_guide: str | None = Field(default=None, description="AK203")
    status: TransactionAckCode = Field(description="IK501")
    error_codes: Annotated[list[ErrorCode], Field(max_length=5)] = Field(
        default_factory=list, description="IK502–IK506"
    )
    errors: list[AckError] = Field(default_factory=list)
    error_descriptions: list[str] = Field(default_factory=list)

    @classmethod
    def _derive(cls, data: dict[str, Any]) -> dict[str, Any]:
        codes = data.get("error_codes") or []
        return {"error_descriptions": [describe(TRANSACTION_ERROR_CODES, str(c)) for c in codes]}

    @property
    def accepted(self) -> bool:
        """Accepted (A) or accepted with errors noted (E): it goes on to the payer."""
        return self.status in ("A", "E")


class FunctionalAck(_Derived):
    """A 999: the verdict on one functional group we sent (AK1 … AK9)."""

    functional_id: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = Field(
        description="AK101: GS01 of the group acknowledged, HC for claims"
    )
    group_control_number: ControlNumber = Field(description="AK102: its GS06")
    version: Annotated[str, Field(min_length=1, max_length=12)] = Field(
        description="AK103: its GS08, e.g. 005010X224A2"
    )
    transactions: list[TransactionAck] = Field(default_factory=list)
    status: GroupAckCode = Field(description="AK901")
    transactions_included: Annotated[int, Field(ge=0)] = Field(description="AK902 (our GE01)")
    transactions_received: Annotated[int, Field(ge=0)] = Field(description="AK903")
    transactions_accepted: Annotated[int, Field(ge=0)] = Field(description="AK904")
    error_codes: Annotated[list[ErrorCode], Field(max_length=5)] = Field(
        default_factory=list, description="AK905–AK909"
    )
    error_descriptions: list[str] = Field(default_factory=list)

    @classmethod
    def _derive(cls, data: dict[str, Any]) -> dict[str, Any]:
        codes = data.get("error_codes") or []
        return {"error_descriptions": [describe(GROUP_ERROR_CODES, str(c)) for c in codes]}

    @classmethod
    def for_transactions(
        cls,
        functional_id: str,
        group_control_number: str,
        version: str,
        transactions: list[TransactionAck],
        *,
        included: int | None = None,
        error_codes: list[str] | None = None,
    ) -> FunctionalAck:
        """The group verdict that follows from its transactions' verdicts.

        AK901 is A when every set was accepted without errors, E when all were accepted
        but some with errors, P when some were rejected, R when none was accepted (or the
        group has group-level errors and no accepted set)::

            >>> ok = TransactionAck(transaction_set_id="837", control_number="0001", status="A")
            >>> FunctionalAck.for_transactions("HC", "7", "005010X224A2", [ok]).status
            'A'
        """
        accepted = sum(1 for t in transactions if t.accepted)
        status: GroupAckCode
        if accepted == 0:
            status = "R"
        elif accepted < len(transactions):
            status = "P"
        elif any(t.status == "E" for t in transactions) or error_codes:
            status = "E"
        else:
            status = "A"
        return cls(
            functional_id=functional_id,
            group_control_number=group_control_number,
            version=version,
            transactions=transactions,
            status=status,
            transactions_included=len(transactions) if included is None else included,
            transactions_received=len(transactions),
            transactions_accepted=accepted,
            error_codes=error_codes or [],
        )


# --------------------------------------------------------------------------- 277CA

ClaimStatus = Literal["accepted", "rejected", "pending"]
"""What a coordinator does next: wait for the 835, fix and resend, or look (module docs)."""
ActionCode = Literal["WQ", "U"]
"""STC03: WQ accept, U reject."""
CategoryCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{2,4}$")]


def claim_status(categories: list[str]) -> ClaimStatus:
    """The :data:`ClaimStatus` of a claim or line whose STC categories are ``categories``
    (first STC01 first); see the table in the module docstring."""
    if any(c in REJECTED_CATEGORIES for c in categories):
        return "rejected"
    if categories and categories[0] in ACCEPTED_CATEGORIES:
        return "accepted"
    return "pending"


class StatusCode(DomainModel):
    """One STC01/STC10/STC11 composite: category, status and the entity it is about."""

    category_code: CategoryCode = Field(description="STC01-1, code source 507")
    status_code: Annotated[str, Field(min_length=1, max_length=30)] = Field(
        description="STC01-2, code source 508"
    )
    entity_code: str | None = Field(default=None, description="STC01-3, e.g. 85 billing provider")

    @property
    def description(self) -> str:
        """Category, status and entity in plain words."""
        return _status_words(self.category_code, self.status_code, self.entity_code)


def _status_words(category: str | None, status: str | None, entity: str | None) -> str:
    words = describe(CLAIM_STATUS_CATEGORIES, category) or "no status"
    detail = describe(CLAIM_STATUS_CODES, status)
    if detail:
        words += f": {detail}"
    who = describe(ENTITY_CODES, entity)
    if who:
        words += f" ({who})"
    codes = ":".join(c for c in (category, status, entity) if c)
    return f"{words[:1].upper()}{words[1:]} [{codes}]"


class StatusReport(DomainModel):
    """One STC segment as a whole (receiver level, provider level, or a claim's further STCs)."""

    codes: Annotated[list[StatusCode], Field(min_length=1, max_length=3)] = Field(
        description="STC01, STC10, STC11"
    )
    status_date: date | None = Field(default=None, description="STC02")
    action_code: ActionCode | None = Field(default=None, description="STC03")
    amount: Money | None = Field(default=None, description="STC04")
    free_text: str | None = Field(default=None, description="STC12")


class _StatusFields(_Derived):
    """The first STC of a claim or line, flattened, with the status and message derived."""

    category_code: CategoryCode = Field(description="STC01-1")
    status_code: Annotated[str, Field(min_length=1, max_length=30)] = Field(description="STC01-2")
    entity_code: str | None = Field(default=None, description="STC01-3")
    status_date: date | None = Field(default=None, description="STC02")
    action_code: ActionCode | None = Field(
        default=None, description="STC03; written as WQ, or U when rejected, if not given"
    )
    amount: Money | None = Field(default=None, description="STC04: total claim charge")
    free_text: str | None = Field(default=None, description="STC12")
    additional_statuses: Annotated[list[StatusCode], Field(max_length=2)] = Field(
        default_factory=list, description="STC10 and STC11"
    )
    more_reports: list[StatusReport] = Field(
        default_factory=list, description="further STC segments"
    )
    status: ClaimStatus = "pending"
    message: str = ""

    @classmethod
    def _derive(cls, data: dict[str, Any]) -> dict[str, Any]:
        categories = [str(data.get("category_code") or "")]
        categories += [str(_get(s, "category_code")) for s in data.get("additional_statuses") or []]
        for report in data.get("more_reports") or []:
            categories += [str(_get(c, "category_code")) for c in _get(report, "codes") or []]
        words = _status_words(
            data.get("category_code"), data.get("status_code"), data.get("entity_code")
        )
        if data.get("free_text"):
            words += f" — {str(data['free_text']).strip()}"
        return {"status": claim_status(categories), "message": words}

    @classmethod
    def _defaults(cls, data: dict[str, Any]) -> dict[str, Any]:
        return {"action_code": "U" if data["status"] == "rejected" else "WQ"}


class LineAck(_StatusFields):
    """A service line's status (2220D SVC/STC), when the payer reports lines."""

    procedure_qualifier: Annotated[str, Field(min_length=2, max_length=2)] = Field(
        default="AD", description="SVC01-1, AD = CDT"
    )
    procedure_code: Annotated[str, Field(min_length=1, max_length=48)] = Field(
        description="SVC01-2"
    )
    modifiers: Annotated[list[str], Field(max_length=4)] = Field(default_factory=list)
    charge: Money = Field(description="SVC02")
    units: Annotated[int, Field(ge=0)] | None = Field(default=None, description="SVC07")
    line_control_number: str | None = Field(default=None, description="REF*FJ")
    service_start: date | None = Field(default=None, description="DTP*472")
    service_end: date | None = Field(default=None, description="DTP*472 RD8 end date")


class ClaimAck(_StatusFields):
    """One claim's 277CA status (2000C billing provider, 2000D patient, 2200D claim)."""

    patient_control_number: Annotated[str, Field(min_length=1, max_length=50)] = Field(
        description="2200D TRN02: our CLM01, echoed back"
    )
    payer_claim_control_number: str | None = Field(default=None, description="REF*1K")
    clearinghouse_trace_number: str | None = Field(default=None, description="REF*D9")
    bill_type: str | None = Field(default=None, description="REF*BLT (institutional only)")
    service_start: date | None = Field(default=None, description="DTP*472")
    service_end: date | None = Field(default=None, description="DTP*472 RD8 end date")
    billing_provider_name: str = Field(default="", description="2100C NM103")
    billing_provider_first_name: str | None = Field(default=None, description="NM104")
    billing_provider_id_qualifier: Literal["XX", "FI", "SV"] = Field(
        default="XX", description="NM108; XX = NPI"
    )
    billing_provider_id: str = Field(default="", description="NM109, the NPI for XX")
    patient_last_name: str = Field(default="", description="2100D NM103")
    patient_first_name: str | None = Field(default=None, description="NM104")
    patient_middle_name: str | None = Field(default=None, description="NM105")
    patient_id_qualifier: Literal["MI", "II"] = Field(default="MI", description="NM108")
    patient_id: str = Field(default="", description="NM109, the member ID")
    lines: list[LineAck] = Field(default_factory=list)


class AckParty(DomainModel):
    """The information source (payer/clearinghouse) or receiver (submitter) of a 277CA."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    first_name: str | None = None
    entity_type: Literal["1", "2"] = "2"
    id_qualifier: Literal["46", "FI", "PI", "XV"] = "46"
    identifier: Annotated[str, Field(min_length=1, max_length=80)]


class ClaimAckFile(DomainModel):
    """A 277CA transaction: who answers (2000A), to whom (2000B), and every claim's status.

    ``receiver_trace`` echoes the batch we sent (our 837's BHT03); the totals are those the
    file states (:meth:`with_totals` computes them when writing).
    """

    reference: Annotated[str, Field(min_length=1, max_length=50)] = Field(description="BHT03")
    created: datetime = Field(description="BHT04/BHT05")
    information_source: AckParty = Field(description="2100A NM1*PR (or AY)")
    source_entity: Literal["PR", "AY"] = Field(
        default="PR", description="NM101: PR payer, AY clearinghouse"
    )
    source_trace: str = Field(description="2200A TRN02")
    received_date: date | None = Field(default=None, description="DTP*050")
    processed_date: date | None = Field(default=None, description="DTP*009")
    receiver: AckParty = Field(description="2100B NM1*41: the submitter (us)")
    receiver_trace: str = Field(description="2200B TRN02: our 837 batch (BHT03)")
    receiver_reports: list[StatusReport] = Field(default_factory=list, description="2200B STC")
    accepted_count: Annotated[int, Field(ge=0)] | None = Field(default=None, description="QTY*90")
    rejected_count: Annotated[int, Field(ge=0)] | None = Field(default=None, description="QTY*AA")
    accepted_amount: Money | None = Field(default=None, description="AMT*YU")
    rejected_amount: Money | None = Field(default=None, description="AMT*YY")
    claims: list[ClaimAck] = Field(default_factory=list)

    def with_totals(self) -> ClaimAckFile:
        """This file with QTY/AMT totals computed from its claims (rejected vs not)."""
        rejected = [c for c in self.claims if c.status == "rejected"]
        accepted = [c for c in self.claims if c.status != "rejected"]

        def total(claims: list[ClaimAck]) -> Decimal:
            return sum((c.amount for c in claims if c.amount is not None), Decimal("0.00"))

        return self.model_copy(
            update={
                "accepted_count": len(accepted),
                "rejected_count": len(rejected),
                "accepted_amount": total(accepted),
                "rejected_amount": total(rejected),
            }
        )
