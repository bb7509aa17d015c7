"""The one error hierarchy of edigateway.

Every error we raise derives from :class:`EdigatewayError`; errors of the libraries we
integrate with (pyx12, pydantic, SQLAlchemy, paramiko, httpx) are re-raised as ours with
``raise ... from exc`` so callers handle one family and never see a library traceback.

::

    EdigatewayError
    ├── ConfigurationError            settings or mapping data unusable
    ├── InputError                    something a user or partner sent us is wrong
    │   ├── ClaimInputError           claim JSON does not fit the schema (field path)
    │   ├── CleanClaimError           clean-claim edits failed (list of EditFailure)
    │   ├── ConflictError             the request contradicts a record's current state
    │   │   └── ClaimTransitionError  a claim cannot move to that state (or not for that
    │   │                             cause): domain/claim_lifecycle.py's table
    │   ├── NoSecondaryPayerError     a secondary claim was asked of a claim without one
    │   ├── MemberNotFoundError       the payer did not find the member (AAA); kept
    │   └── X12Error                  an X12 file problem, with its location
    │       ├── X12SyntaxError        unreadable: no ISA, bad delimiters, truncated
    │       ├── UnsupportedX12Error   a version/transaction we do not handle (4010 …)
    │       ├── X12StructureError     readable but not the transaction's shape
    │       └── DelimiterInDataError  a value would contain a delimiter character
    ├── ValidationEngineError         the validator itself failed on a file
    ├── PersistenceError              the database refused or failed (SQLAlchemy's error
    │   └── NotFoundError             chained); a record asked for does not exist
    ├── PhiError                      an encrypted value does not open (tampered, moved to
    │                                 another row, or its key is gone); never shows content
    ├── AccessDenied                  an API key is missing, unknown, revoked, or lacks a
    │                                 scope
    └── TransportError                a file exchange failed (paramiko/httpx error chained)
        ├── HostKeyError              the server's host key is unknown or changed: refused
        ├── AuthenticationError       the clearinghouse refused our credentials
        ├── UnreadableAnswerError     it answered with X12 we cannot read (with location)
        ├── TransferError             upload/download failed or was incomplete (retryable)
        ├── DeadlineExceededError     a real-time call had no answer within its deadline
        ├── RemoteFileGoneError       a listed inbound file is no longer there
        ├── RemoteFileTooLargeError   an inbound file is over the download size cap
        └── RemoteFileChangedError    an inbound file grew or changed while we fetched it

Each X12 error carries an :class:`X12Location` (file, segment position, segment ID, loop,
element) so the message tells a coordinator exactly where to look::

    >>> loc = X12Location(file="a.837", segment_index=12, segment_id="CLM", loop="2300",
    ...                   element="CLM02")
    >>> str(X12StructureError("claim total is not a number", loc))
    'a.837: segment 12 (CLM, loop 2300, CLM02): claim total is not a number'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


class EdigatewayError(Exception):
    """Base of every error edigateway raises on purpose."""


class ConfigurationError(EdigatewayError):
    """Settings, keys or mapping data are missing or unusable."""


class PhiError(EdigatewayError):
    """An encrypted PHI value cannot be opened; the message names the row, not the data."""


class AccessDenied(EdigatewayError):  # noqa: N818 - reads as what happened, like PermissionError
    """The caller is not who they say, or may not do this (``status`` 401 or 403)."""

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class InputError(EdigatewayError):
    """Input from a user, a PM system or a trading partner is wrong; never our bug."""


class MemberNotFoundError(InputError):
    """The payer answered an eligibility check but did not find the member (an AAA
    rejection such as 75 "subscriber/insured not found"). The check is kept as
    ``verification_ids``; the caller must correct the inquiry (member ID, name, birth date)."""

    def __init__(self, message: str, verification_ids: tuple[int, ...], reasons: list[str]) -> None:
        super().__init__(message)
        self.verification_ids = verification_ids
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One invalid field of a JSON document, located by its path (``claims.0.lines.2.fee``)."""

    path: str
    message: str


class ClaimInputError(InputError):
    """A claim document does not fit the claim schema."""

    def __init__(self, source: str, problems: Sequence[FieldProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "; ".join(f"{p.path}: {p.message}" for p in self.problems)
        super().__init__(f"{source}: {lines}")


@dataclass(frozen=True, slots=True)
class EditFailure:
    """One failed clean-claim edit: which edit, which claim, where, and why in plain words."""

    edit_id: str
    claim: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"[{self.edit_id}] claim {self.claim} {self.path}: {self.message}"


class CleanClaimError(InputError):
    """Claims failed clean-claim edits; nothing was written."""

    def __init__(self, failures: Sequence[EditFailure]) -> None:
        self.failures = tuple(failures)
        super().__init__(
            f"{len(self.failures)} clean-claim edit(s) failed: "
            + "; ".join(str(f) for f in self.failures)
        )


@dataclass(frozen=True, slots=True)
class X12Location:
    """Where in an X12 file something is: 1-based segment position counted from ISA."""

    file: str | None = None
    segment_index: int | None = None
    segment_id: str | None = None
    loop: str | None = None
    element: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.segment_index is not None or self.segment_id:
            detail = ", ".join(
                x
                for x in (self.segment_id, f"loop {self.loop}" if self.loop else None, self.element)
                if x
            )
            where = f"segment {self.segment_index}" if self.segment_index is not None else "segment"
            parts.append(f"{where} ({detail})" if detail else where)
        elif self.element:
            parts.append(self.element)
        return ": ".join(parts)


class ConflictError(InputError):
    """The request contradicts what a record already is: a claim number already imported
    with different content, a claim already superseded, a work item already resolved. The
    request is fine in itself; sent again it will be refused again until the record
    changes (the API answers 409, the CLI exits 1 like any other input error)."""


class FileTooLargeError(InputError):
    """An uploaded file is over the size the gateway takes (the API answers 413)."""


class UnsupportedFileTypeError(InputError):
    """An uploaded file's content is not of a type the gateway takes, whatever its name
    says (the API answers 415)."""


class ClaimTransitionError(ConflictError):
    """A claim may not move to the state asked (:mod:`edigateway.domain.claim_lifecycle`)."""


class NoSecondaryPayerError(InputError, ValueError):
    """The claim names no other payer with secondary responsibility (or lacks what the
    secondary plan needs to identify the patient)."""


class X12Error(InputError):
    """An X12 file problem with its location."""

    def __init__(self, message: str, location: X12Location | None = None) -> None:
        self.message = message
        self.location = location or X12Location()
        where = str(self.location)
        super().__init__(f"{where}: {message}" if where else message)


class X12SyntaxError(X12Error):
    """The file cannot be read as X12 at all (no ISA, bad delimiters, truncated)."""


class UnsupportedX12Error(X12Error):
    """The file is X12 but a version or transaction edigateway does not handle."""


class X12StructureError(X12Error):
    """Readable X12 that does not have the shape its transaction guide requires."""


class DelimiterInDataError(X12Error):
    """A value to be written contains a delimiter; writing it would corrupt the file."""


class ValidationEngineError(EdigatewayError):
    """The validation engine (pyx12) itself failed on a file."""


class PersistenceError(EdigatewayError):
    """The database failed or refused a change; nothing of that change was kept."""


class NotFoundError(PersistenceError):
    """A record asked for (claim, remittance, work item) does not exist."""


class TransportError(EdigatewayError):
    """Exchanging a file with a clearinghouse failed; the message names host and file."""


class HostKeyError(TransportError):
    """The server's host key is not the pinned one (unknown or changed): never trusted."""


class AuthenticationError(TransportError):
    """The clearinghouse refused our key, password, token or API key."""


class UnreadableAnswerError(TransportError):
    """The clearinghouse answered in real time, but with X12 we cannot read (a 271 that
    breaks its guide, bytes that are not text …): the exchange failed on their side, not
    the caller's. ``location`` is where in their answer; the X12 error is chained."""

    def __init__(self, message: str, location: X12Location) -> None:
        super().__init__(message)
        self.location = location


class TransferError(TransportError):
    """An upload or download failed or came out incomplete; retrying may succeed."""


class DeadlineExceededError(TransportError):
    """A real-time call (270/271, 276/277) got no answer within its deadline (the
    clearinghouse profile's ``realtime_deadline_seconds``); the API answers 504."""


class RemoteFileGoneError(TransportError):
    """A file listed in the inbound folder was gone when we came to fetch or move it."""


class RemoteFileTooLargeError(TransportError):
    """An inbound file is bigger than the download cap (``download_max_bytes``); it is
    not fetched, since holding it would cost more memory than the gateway allows."""

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message)
        self.size, self.limit = size, limit


class RemoteFileChangedError(TransportError):
    """An inbound file's size changed while we downloaded it or before we archived it: it
    is still being written, so it is left where it is for the next poll (not retried at
    once, and never stored or archived as a truncated copy)."""
