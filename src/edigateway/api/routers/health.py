"""Health checks for orchestrators and load balancers: public, and free of PHI.

``/healthz`` answers as long as the process serves requests (a liveness probe: restart it
when this fails). ``/readyz`` also checks what a request needs — the database answers with
a current schema, the PHI keys are loaded — and answers 503 when one fails (a readiness
probe: send it no traffic yet). Neither says why a check failed: the routes are public,
and the reason (a host name, a path) is for the log, which gets it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from edigateway.api.deps import GatewayDep, render
from edigateway.api.schemas import Health, Readiness, ReadinessChecks

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", response_model=Health, operation_id="getHealth")
async def healthz() -> Health:
    """The process is up (no authentication, no database)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    operation_id="getReadiness",
    responses={503: {"model": Readiness, "description": "a check failed"}},
)
def readyz(gateway: GatewayDep) -> Response:
    """The gateway can serve requests: its database answers with a current schema and its
    PHI keys are loaded (no authentication; no detail of a failure)."""

    def database() -> bool:
        return gateway.database.is_current()

    def keys() -> bool:
        return bool(gateway.keyring.index_key)

    checks = ReadinessChecks(database=_check("database", database), keys=_check("keys", keys))
    ready = checks.database == checks.keys == "ok"
    return render(
        Readiness(status="ready" if ready else "not_ready", checks=checks), 200 if ready else 503
    )


def _check(name: str, probe: Callable[[], bool]) -> Literal["ok", "failed"]:
    try:
        if probe():
            return "ok"
        log.warning("readiness: %s check failed", name)
    except Exception:  # a probe reports any failure as "not ready", the reason in the log
        log.exception("readiness: %s check failed", name)
    return "failed"
