"""Dependencies of the routes: the gateway, the authenticated caller and its scope.

Routes declare what they need with ``Annotated`` types::

    def get_claim(claim_id: int, caller: Annotated[Caller, Depends(scope("claims:read"))]):
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from edigateway.bootstrap import Gateway
from edigateway.errors import InputError, PersistenceError
from edigateway.persistence.tables import IdempotencyRow
from edigateway.services.access import Principal, authenticate
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
               run: Callable[[], tuple[int, Any]]) -> JSONResponse:
    """Run ``run`` once per (API key, ``Idempotency-Key``); a retry with the same body gets
    the stored answer, a different body under the same key is refused (422)."""
    if key is None:
        status, body = run()
        return JSONResponse(jsonable_encoder(body), status_code=status)
    digest = hashlib.sha256(json.dumps(jsonable_encoder(request_body), sort_keys=True)
                            .encode()).hexdigest()
    with gateway.database.transaction() as session:
        seen = session.scalars(select(IdempotencyRow).where(
            IdempotencyRow.api_key_id == principal.api_key_row_id,
            IdempotencyRow.key == key)).first()
        if seen is not None:
            if seen.request_sha256 != digest:
                msg = ("Idempotency-Key was already used with a different request body; "
                       "use a new key for a new request")
                raise InputError(msg)
            return JSONResponse(json.loads(seen.body), status_code=seen.status_code,
                                headers={"Idempotent-Replayed": "true"})
    status, body = run()
    encoded = jsonable_encoder(body)
    try:
        with gateway.database.transaction() as session:
            session.add(IdempotencyRow(api_key_id=principal.api_key_row_id, key=key,
                                       request_sha256=digest, status_code=status,
                                       body=json.dumps(encoded), created_at=gateway.clock()))
    except PersistenceError as exc:
        if not isinstance(exc.__cause__, IntegrityError):
            raise
    return JSONResponse(encoded, status_code=status)
