"""RFC 9457 problem documents: every error the API returns has this one shape.

``{"type", "title", "status", "detail", "errors": [{"path", "message", "edit"}]}`` with
media type ``application/problem+json``. ``type`` is an absolute URI naming the kind of
problem (:data:`PROBLEM_TYPES`, documented in ``docs/api.md#problem-types``): a client
switches on it, never on ``title`` or ``detail``, which are for people. ``errors`` locates
each problem by the JSON field path (``lines.0.procedure_code``) or the X12 location, and
a failed clean-claim edit carries its ID in ``edit`` (``"E020"``), so a PM system can point
at the field and look the edit up.

The type URIs are identifiers under the project's namespace, not links the gateway serves
(a relative URI would resolve differently on every host, and RFC 9457 asks for absolute
ones); ``docs/api.md`` describes each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from edigateway.errors import (
    AccessDenied,
    ClaimInputError,
    CleanClaimError,
    ConfigurationError,
    ConflictError,
    DeadlineExceededError,
    EdigatewayError,
    InputError,
    NotFoundError,
    TransportError,
    X12Error,
)
from edigateway.services.idempotency import DIFFERENT_BODY, IN_FLIGHT

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://edigateway.dev/problems/"


@dataclass(frozen=True, slots=True)
class ProblemType:
    """A kind of problem: its URI's last part, the status it comes with, and when."""

    slug: str
    status: int
    title: str
    when: str

    @property
    def uri(self) -> str:
        """The ``type`` member of the problem document."""
        return TYPE_BASE + self.slug


PROBLEM_TYPES: Final[dict[str, ProblemType]] = {
    t.slug: t
    for t in (
        ProblemType("malformed-json", 400, "Malformed JSON", "the request body is not valid JSON"),
        ProblemType("bad-request", 400, "Bad request", "the request cannot be read otherwise"),
        ProblemType(
            "unauthorized", 401, "Unauthorized", "no API key, or one that is unknown or revoked"
        ),
        ProblemType("forbidden", 403, "Forbidden", "the API key lacks the scope the route needs"),
        ProblemType(
            "not-found",
            404,
            "Not found",
            "no such record in this practice (another practice's record is not found "
            "either), or no such route",
        ),
        ProblemType(
            "method-not-allowed",
            405,
            "Method not allowed",
            "the route does not take this method (``Allow`` lists those it takes)",
        ),
        ProblemType(
            "conflict",
            409,
            "Conflict",
            "the request contradicts a record's state: a claim number already "
            "imported with different content (send a replacement), a claim already "
            "superseded, a work item already resolved",
        ),
        ProblemType(
            "body-too-large",
            413,
            "Request body too large",
            "the body is over 1 MiB (declared or streamed)",
        ),
        ProblemType(
            "unsupported-media-type",
            415,
            "Unsupported media type",
            "a body that is not ``application/json``",
        ),
        ProblemType(
            "invalid-input",
            422,
            "Invalid input",
            "a field does not fit the schema or a business rule; ``errors`` names each field",
        ),
        ProblemType(
            "claim-edit-failed",
            422,
            "Clean-claim edits failed",
            "the claim failed clean-claim edits; each item of ``errors`` has the edit "
            "ID in ``edit`` and the field in ``path``",
        ),
        ProblemType(
            "x12-problem",
            422,
            "X12 problem",
            "an X12 document is wrong; ``errors`` gives the segment position, loop and element",
        ),
        ProblemType(
            "member-not-found",
            422,
            "Member not found",
            "the payer answered the eligibility check but did not find the member "
            "(an AAA rejection, e.g. 75); the check is kept (its ID is in ``detail``), "
            "``errors`` gives the payer's reasons",
        ),
        ProblemType(
            "idempotency-key-reused",
            422,
            "Idempotency-Key reused",
            "the Idempotency-Key was used before with a different body",
        ),
        ProblemType(
            "idempotency-key-in-flight",
            422,
            "Idempotency-Key in flight",
            "the first request with this Idempotency-Key is still running; retry later "
            "with the same key to get its answer",
        ),
        ProblemType(
            "internal-error", 500, "Internal error", "the gateway failed; nothing was changed"
        ),
        ProblemType(
            "clearinghouse-unavailable",
            502,
            "Clearinghouse unavailable",
            "the clearinghouse could not be reached or refused us",
        ),
        ProblemType(
            "clearinghouse-answer-unreadable",
            502,
            "Clearinghouse answer unreadable",
            "the clearinghouse answered with X12 we cannot read; ``errors`` locates "
            "the fault in its answer",
        ),
        ProblemType(
            "clearinghouse-timeout",
            504,
            "Clearinghouse timeout",
            "a real-time call (eligibility, claim status) got no answer within the "
            "clearinghouse profile's deadline (20 s by default); nothing was changed, "
            "ask again later",
        ),
        ProblemType(
            "not-configured",
            503,
            "Not configured",
            "the gateway is not configured or its database is not migrated",
        ),
    )
}
"""Every kind of problem the API answers with."""

BY_STATUS: Final[dict[int, str]] = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    500: "internal-error",
    502: "clearinghouse-unavailable",
    503: "not-configured",
    504: "clearinghouse-timeout",
}
"""The kind a status means when nothing more precise is known."""


class ProblemItem(BaseModel):
    """One located problem."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        description="the JSON field path (``lines.0.procedure_code``), "
        "``query.NAME`` or ``header.NAME`` for a parameter, or the X12 "
        "location"
    )
    message: str = Field(description="what is wrong there, in plain words")
    edit: str | None = Field(
        default=None,
        pattern=r"^E[0-9]{3}$",
        description="the clean-claim edit that failed (E0xx), on claim-edit-failed problems only",
    )


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": TYPE_BASE + "claim-edit-failed",
                    "title": "Clean-claim edits failed",
                    "status": 422,
                    "detail": "1 edit(s) failed",
                    "errors": [
                        {
                            "path": "lines.0.teeth.0.tooth",
                            "edit": "E020",
                            "message": "E020: tooth 33 is not a valid tooth number",
                        }
                    ],
                }
            ]
        },
    )

    type: str = Field(
        description="the kind of problem, an absolute URI (docs/api.md lists "
        "them); ``about:blank`` for a plain HTTP status",
        json_schema_extra={"format": "uri"},
    )
    title: str = Field(description="the kind in words (stable per type)")
    status: int = Field(description="the HTTP status")
    detail: str = Field(default="", description="what happened this time")
    errors: list[ProblemItem] = Field(default_factory=list, description="each located problem")


def problem(
    status: int,
    title: str,
    detail: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    kind: str | None = None,
) -> JSONResponse:
    """A problem response; ``kind`` names its :data:`PROBLEM_TYPES` entry (by default the
    one its status means)."""
    slug = kind or BY_STATUS.get(status)
    body = Problem(
        type=PROBLEM_TYPES[slug].uri if slug else "about:blank",
        title=title,
        status=status,
        detail=detail,
        errors=[ProblemItem(**e) for e in errors or []],
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def problem_response(exc: EdigatewayError) -> JSONResponse:  # noqa: PLR0911 - one answer per error class
    """The RFC 9457 answer to one of our errors: the one mapping, shared by the app's error
    handler and by the idempotency store (a replay must be the same bytes)."""
    if isinstance(exc, AccessDenied):
        return problem(
            exc.status,
            "Unauthorized" if exc.status == 401 else "Forbidden",
            str(exc),
            headers={"WWW-Authenticate": "Bearer"} if exc.status == 401 else None,
        )
    if isinstance(exc, NotFoundError):
        return problem(404, "Not found", str(exc))
    if isinstance(exc, ConflictError):
        return problem(409, "Conflict", str(exc))
    if isinstance(exc, CleanClaimError):
        return problem(
            422,
            "Clean-claim edits failed",
            f"{len(exc.failures)} edit(s) failed",
            [
                {"path": f.path, "message": f"{f.edit_id}: {f.message}", "edit": f.edit_id}
                for f in exc.failures
            ],
            kind="claim-edit-failed",
        )
    if isinstance(exc, ClaimInputError):
        return problem(
            422,
            "Invalid input",
            str(exc),
            [{"path": p.path, "message": p.message} for p in exc.problems],
        )
    if isinstance(exc, X12Error):
        return problem(
            422,
            "X12 problem",
            exc.message,
            [{"path": str(exc.location), "message": exc.message}],
            kind="x12-problem",
        )
    if isinstance(exc, InputError):
        kind = {
            DIFFERENT_BODY: "idempotency-key-reused",
            IN_FLIGHT: "idempotency-key-in-flight",
        }.get(str(exc))
        return problem(
            422, PROBLEM_TYPES[kind].title if kind else "Invalid input", str(exc), kind=kind
        )
    if isinstance(exc, DeadlineExceededError):
        return problem(504, "Clearinghouse timeout", str(exc))
    if isinstance(exc, TransportError):
        return problem(502, "Clearinghouse unavailable", str(exc))
    if isinstance(exc, ConfigurationError):
        return problem(503, "Not configured", str(exc))
    return problem(500, "Internal error", type(exc).__name__)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entries of these error statuses (problem documents)."""
    return {
        status: {
            "model": Problem,
            "content": {MEDIA_TYPE: {}},
            "description": ERROR_DESCRIPTIONS[status],
        }
        for status in statuses
    }


ERROR_DESCRIPTIONS: Final[dict[int, str]] = {  # what each error status means on our routes
    400: "malformed request (body not JSON)",
    401: "no, unknown or revoked API key",
    403: "the key lacks the scope",
    404: "not found in this practice",
    409: "conflicts with the record's state",
    413: "request body over 1 MiB",
    415: "body not application/json",
    422: "invalid input, with field paths",
    500: "internal error; nothing was changed",
    502: "the clearinghouse failed or answered unreadably",
    503: "the gateway is not configured or its database not migrated",
    504: "the clearinghouse did not answer within the real-time deadline",
}
