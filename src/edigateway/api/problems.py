"""RFC 9457 problem documents: every error the API returns has this one shape.

``{"type", "title", "status", "detail", "errors": [{"path", "message"}]}`` with media
type ``application/problem+json``; ``errors`` locates each problem by the JSON field path
(``claim.lines.0.procedure_code``) or the X12 location, so a PM system can point at it.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

MEDIA_TYPE = "application/problem+json"


class ProblemItem(BaseModel):
    """One located problem."""

    path: str = Field(description="JSON field path or X12 location")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[ProblemItem] = Field(default_factory=list)


def problem(status: int, title: str, detail: str = "",
            errors: list[dict[str, str]] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    """A problem response."""
    body: dict[str, Any] = Problem(
        title=title, status=status, detail=detail,
        errors=[ProblemItem(**e) for e in errors or []]).model_dump()
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": text}
    for code, text in ((400, "malformed request"), (401, "no or unknown API key"),
                       (403, "the key lacks a scope"), (404, "not found in this practice"),
                       (409, "conflict"), (413, "request body too large"),
                       (422, "invalid input, with field paths"),
                       (502, "the clearinghouse failed"))}
"""Documented on every route, so the OpenAPI document lists the error shapes."""
