"""Dependencies of the routes (the gateway, the authenticated caller and its scope) and how
answers are rendered (typed models as JSON, idempotent replays, ETags).

Routes declare what they need with ``Annotated`` types::

    Reader = Annotated[Caller, scope("claims:read")]

    def get_claim(claim_id: RowId, caller: Reader, gateway: GatewayDep): ...

Authentication is declared as two OpenAPI security schemes — ``bearerAuth``
(``Authorization: Bearer <API key>``) and ``apiKeyAuth`` (``X-API-Key``) — and each route's
scope is a security requirement of both, so the OpenAPI document says which scope every
operation needs (and SDK generators see auth as auth, not as a header parameter).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Path, Query, Request, Security
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import HTTPException
from fastapi.responses import Response
from fastapi.security import (
    APIKeyHeader,
    HTTPAuthorizationCredentials,
    HTTPBearer,
    SecurityScopes,
)
from pydantic import AwareDatetime, BaseModel
from starlette.concurrency import run_in_threadpool

from edigateway.api.problems import MEDIA_TYPE, problem_response
from edigateway.api.schemas import Page
from edigateway.bootstrap import Gateway
from edigateway.errors import EdigatewayError
from edigateway.services.access import Principal, authenticate_key, key_cache
from edigateway.services.idempotency import fingerprint, run_once
from edigateway.services.practice_claims import Caller

M = TypeVar("M", bound=BaseModel)
P = TypeVar("P", bound=Page[Any])
JSON = "application/json"
RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the record's ID")]
"""A record ID in a path: positive and within every database's integer range."""

BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    bearerFormat="API key",
    description="`Authorization: Bearer <API key>` (keys are made with "
    "`edigateway keys create`); every answer is scoped to the key's practice",
)
API_KEY = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="apiKeyAuth",
    description="the same API key in an `X-API-Key` header",
)


async def gateway_of(request: Request) -> Gateway:
    """The gateway the app was created with."""
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(gateway_of)]


async def principal_of(
    request: Request,
    gateway: GatewayDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    api_key: Annotated[str | None, Depends(API_KEY)],
) -> Principal:
    """The caller, from ``Authorization: Bearer <key>`` or else ``X-API-Key``; the key is
    checked once per request (FastAPI caches a dependency per set of security scopes, so a
    route taking both its scoped caller and the principal would otherwise look the key up
    twice). A key this process proved in the last few seconds is taken from
    :func:`~edigateway.services.access.key_cache` on the event loop (no thread, no
    transaction: that was a fifth of a read's CPU); any other goes to the database in a
    worker thread, and a revoked key stops within
    :data:`~edigateway.services.access.KEY_CACHE_SECONDS`."""
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known
    token = bearer.credentials.strip() if bearer else api_key
    principal = key_cache(gateway.database).principal(token)
    if principal is None:
        principal = await run_in_threadpool(
            authenticate_key,
            gateway.database,
            token,
            keyring=gateway.keyring,
            now=gateway.clock(),
        )
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(principal_of)]


async def _caller(
    request: Request, security_scopes: SecurityScopes, principal: PrincipalDep
) -> Caller:
    """The scoped caller, once its key holds every scope the route requires (``async``:
    it does no I/O, so it need not take a worker thread)."""
    for wanted in security_scopes.scopes:
        principal.require(wanted)
    remote = request.client.host if request.client else None
    return Caller(principal.practice_id, principal.actor, remote, principal.practice_npi)


def scope(wanted: str) -> Any:
    """The dependency marker of a route that requires ``wanted``: it authenticates, checks
    the scope (403 without it) and yields the :class:`Caller`; the OpenAPI document lists
    the scope in the operation's security requirements."""
    return Security(_caller, scopes=[wanted])


async def json_body(request: Request) -> None:
    """Refuse a body that is not JSON with 415 (before it is parsed: a ``text/plain`` body
    would otherwise be read as one JSON string and refused as invalid input)."""
    if (
        request.headers.get("content-length", "0") == "0"
        and "transfer-encoding" not in request.headers
    ):
        return
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == JSON or (media.startswith("application/") and media.endswith("+json")):
        return
    raise HTTPException(415, f"the body must be {JSON}, not {media or 'untyped'}")


JsonBody = Depends(json_body)
"""On every route that takes a JSON body: ``dependencies=[JsonBody]``."""

PayerPath = Annotated[
    str,
    Path(
        min_length=2,
        max_length=80,
        pattern=r"^[A-Za-z0-9]+$",
        description="the payer ID claims are sent with",
    ),
]
"""A payer ID in a path (fee schedules, ERA policy, filing limits): letters and digits,
as claims send it."""


def answer(model: type[M], result: object) -> M:
    """The response model ``model`` of a use case's typed ``result``, read from its
    attributes (nested results too): the API's schema stays its own, the values are the
    service's."""
    return model.model_validate(result, from_attributes=True)


def page(model: type[P], items: Sequence[object], total: int, limit: int, offset: int) -> P:
    """One page of a list as ``model``, with the offset of the next page (none on the last)."""
    return model.model_validate(
        {
            "items": items,
            "total": total,
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if offset + limit < total else None,
        },
        from_attributes=True,
    )


def render(answer: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A typed answer as JSON: money as strings, times with their offset (the models'
    serializers), field aliases as documented."""
    return Response(_json(answer), status_code=status, media_type=JSON, headers=headers)


def _json(answer: BaseModel) -> str:
    return answer.model_dump_json(by_alias=True)


IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="retrying a POST with the same key returns the first "
        "result instead of doing it again (the key is the caller's, e.g. a UUID)",
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        max_length=1000,
        description="an ETag of this record received before: the answer is "
        "304 Not Modified, without a body, while the record is unchanged",
    ),
]
ETAG: dict[str, Any] = {
    "ETag": {
        "description": "a hash of this answer; send it back as If-None-Match",
        "schema": {"type": "string"},
    }
}
"""The ``ETag`` header of a read's 200 answer, for its ``responses``."""
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "unchanged since the ETag in If-None-Match (no body)", "headers": ETAG}
}
"""The 304 answer of a read that takes ``If-None-Match``."""
UpdatedSince = Annotated[
    AwareDatetime | None,
    Query(
        description="only records changed at or after this time (RFC 3339 with an offset); "
        "poll with the time your previous poll started"
    ),
]


def idempotent(
    gateway: Gateway,
    principal: Principal,
    key: str | None,
    request_body: Any,
    run: Callable[[], tuple[int, BaseModel]],
) -> Response:
    """Run ``run`` once per (API key, ``Idempotency-Key``) — concurrent copies included: a
    retry with the same body gets the first answer (``Idempotent-Replayed: true``), a
    different body under the same key is refused (422); see
    :mod:`edigateway.services.idempotency`. The answer is the typed model ``run`` returns,
    rendered by :func:`render` — stored as those exact bytes, so a replay is identical."""
    if key is None:
        status, answer = run()
        return render(answer, status)

    def work() -> tuple[int, str]:
        status, answer = run()
        return status, _json(answer)

    stored = run_once(
        gateway.database,
        api_key_id=principal.api_key_row_id,
        key=key,
        request_sha256=fingerprint(jsonable_encoder(request_body)),
        work=work,
        render=_rendered,
        clock=gateway.clock,
    )
    return Response(
        stored.body,
        status_code=stored.status,
        media_type=MEDIA_TYPE if stored.status >= 400 else JSON,
        headers={"Idempotent-Replayed": "true"} if stored.replayed else None,
    )


def _rendered(exc: EdigatewayError) -> tuple[int, str]:
    """The answer the app's error handler gives ``exc`` (to store it under the key)."""
    response = problem_response(exc)
    return response.status_code, bytes(response.body).decode()


def conditional(answer: BaseModel, if_none_match: str | None) -> Response:
    """A read with an ``ETag`` (a hash of the answer's bytes); 304 without a body when the
    client's ``If-None-Match`` already names it (RFC 9110 weak comparison, ``*`` too)."""
    body = _json(answer).encode()
    tag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if if_none_match is not None and _matches(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    return Response(body, media_type=JSON, headers={"ETag": tag})


def _matches(if_none_match: str, tag: str) -> bool:
    wanted = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in wanted or tag in wanted
