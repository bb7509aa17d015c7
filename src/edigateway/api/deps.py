"""Dependencies of the routes: the gateway, the authenticated caller and its scope.

Routes declare what they need with ``Annotated`` types::

    def get_claim(claim_id: int, caller: Annotated[Caller, Depends(scope("claims:read"))]):
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from edigateway.api.problems import MEDIA_TYPE
from edigateway.bootstrap import Gateway
from edigateway.errors import EdigatewayError
from edigateway.services.access import Principal, authenticate
from edigateway.services.idempotency import fingerprint, run_once
from edigateway.services.practice_claims import Caller

RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the record's ID")]
"""A record ID in a path: positive and within every database's integer range."""


async def gateway_of(request: Request) -> Gateway:
    """The gateway the app was created with."""
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(gateway_of)]


def principal_of(request: Request, gateway: GatewayDep,
                 authorization: Annotated[str | None, Header()] = None,
                 x_api_key: Annotated[str | None, Header()] = None) -> Principal:
    """The caller, from ``Authorization: Bearer <key>`` or ``X-API-Key``."""
    token = x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    with gateway.database.transaction() as session:
        principal = authenticate(session, token, keyring=gateway.keyring, now=gateway.clock())
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(principal_of)]


def scope(wanted: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency that requires ``wanted`` and yields the scoped :class:`Caller`
    (``async``: it does no I/O, so it need not take a worker thread)."""

    async def dependency(request: Request, principal: PrincipalDep) -> Caller:
        principal.require(wanted)
        remote = request.client.host if request.client else None
        return Caller(principal.practice_id, principal.actor, remote)

    return dependency


IdempotencyKey = Annotated[str | None, Header(
    max_length=200, description="retrying a POST with the same key returns the first "
    "result instead of doing it again")]


def idempotent(gateway: Gateway, principal: Principal, key: str | None, request_body: Any,
               run: Callable[[], tuple[int, Any]]) -> Response:
    """Run ``run`` once per (API key, ``Idempotency-Key``) — concurrent copies included: a
    retry with the same body gets the first answer (``Idempotent-Replayed: true``), a
    different body under the same key is refused (422); see
    :mod:`edigateway.services.idempotency`."""
    if key is None:
        status, body = run()
        return JSONResponse(jsonable_encoder(body), status_code=status)

    def work() -> tuple[int, str]:
        status, body = run()
        return status, bytes(JSONResponse(jsonable_encoder(body)).body).decode()

    answer = run_once(gateway.database, api_key_id=principal.api_key_row_id, key=key,
                      request_sha256=fingerprint(jsonable_encoder(request_body)), work=work,
                      render=_rendered, clock=gateway.clock)
    return Response(answer.body, status_code=answer.status,
                    media_type=MEDIA_TYPE if answer.status >= 400 else "application/json",
                    headers={"Idempotent-Replayed": "true"} if answer.replayed else None)


def _rendered(exc: EdigatewayError) -> tuple[int, str]:
    """The answer the app's error handler gives ``exc`` (to store it under the key)."""
    from edigateway.api.app import problem_response

    response = problem_response(exc)
    return response.status_code, bytes(response.body).decode()
