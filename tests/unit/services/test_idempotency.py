"""Idempotency keys in the service: a 4xx answer is kept, an unexpected failure releases
the key, a request finding the key in flight waits and then gives up with a clear 422, a
claim left by a dead process is taken over once it is stale. (Concurrent HTTP clients:
tests/integration/test_concurrency_api.py.)"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from edigateway.errors import EdigatewayError, InputError, NotFoundError, TransferError
from edigateway.persistence.database import Database
from edigateway.persistence.tables import ApiKeyRow, IdempotencyRow
from edigateway.security.phi import Keyring
from edigateway.services.access import create_key
from edigateway.services.idempotency import (
    DIFFERENT_BODY,
    IN_FLIGHT,
    STALE_AFTER,
    Answer,
    fingerprint,
    run_once,
)
from tests.factories import NOW

BODY = fingerprint({"claim_ids": [1]})


def _render(exc: EdigatewayError) -> tuple[int, str]:
    status = 404 if isinstance(exc, NotFoundError) else 422 if isinstance(exc, InputError) else 502
    return status, json.dumps({"status": status, "detail": str(exc)})


@pytest.fixture
def key_id(database: Database) -> int:
    created = create_key(
        database,
        practice="1456789019",
        scopes="admin",
        name="t",
        keyring=Keyring.generate(),
        now=NOW,
        create_name="MAPLE",
    )
    with database.transaction() as session:
        row_id: int = session.scalars(
            select(ApiKeyRow.id).where(ApiKeyRow.key_id == created.key_id)
        ).one()
    return row_id


def _once(
    database: Database,
    key_id: int,
    work,
    *,
    body: str = BODY,
    wait: float = 1.0,
    now: datetime = NOW,
) -> Answer:
    return run_once(
        database,
        api_key_id=key_id,
        key="k",
        request_sha256=body,
        work=work,
        render=_render,
        clock=lambda: now,
        wait=wait,
        poll=0.01,
    )


def _rows(database: Database) -> list[tuple[int | None, str | None]]:
    with database.transaction() as session:
        return [(r.status_code, r.body) for r in session.scalars(select(IdempotencyRow))]


def test_an_answer_is_stored_and_replayed_without_running_again(database: Database, key_id: int):
    runs: list[int] = []

    def work() -> tuple[int, str]:
        runs.append(1)
        return 202, '{"ok":true}'

    assert _once(database, key_id, work) == Answer(202, '{"ok":true}')
    assert _once(database, key_id, work) == Answer(202, '{"ok":true}', replayed=True)
    assert runs == [1]
    with pytest.raises(InputError, match=DIFFERENT_BODY):
        _once(database, key_id, work, body=fingerprint({"claim_ids": [2]}))


def test_a_4xx_error_is_kept_for_the_retry(database: Database, key_id: int):
    def missing() -> tuple[int, str]:
        raise NotFoundError("no claim 7")

    with pytest.raises(NotFoundError):
        _once(database, key_id, missing)
    replay = _once(database, key_id, lambda: pytest.fail("ran twice"))
    assert (replay.status, replay.replayed) == (404, True)
    assert json.loads(replay.body)["detail"] == "no claim 7"


@pytest.mark.parametrize("failure", [RuntimeError("bug"), TransferError("ch down")])
def test_an_unexpected_or_5xx_failure_releases_the_key(
    database: Database, key_id: int, failure: Exception
):
    def broken() -> tuple[int, str]:
        raise failure

    with pytest.raises(type(failure)):
        _once(database, key_id, broken)
    assert _rows(database) == []
    assert _once(database, key_id, lambda: (201, "{}")) == Answer(201, "{}")


def test_a_request_finding_the_key_in_flight_waits_then_gets_a_clear_422(
    database: Database, key_id: int
):
    seen: list[BaseException] = []

    def slow() -> tuple[int, str]:  # while it runs, the same key arrives again
        for body in (BODY, fingerprint({"claim_ids": [2]})):
            with pytest.raises(InputError) as refused:
                _once(database, key_id, lambda: pytest.fail("ran twice"), body=body, wait=0.1)
            seen.append(refused.value)
        return 202, "{}"

    assert _once(database, key_id, slow) == Answer(202, "{}")
    assert [str(e) for e in seen] == [IN_FLIGHT, DIFFERENT_BODY]


def test_a_stale_claim_of_a_dead_process_is_taken_over(database: Database, key_id: int):
    with database.transaction() as session:
        session.add(
            IdempotencyRow(
                api_key_id=key_id,
                key="k",
                request_sha256=BODY,
                status_code=None,
                body=None,
                created_at=NOW,
            )
        )
    with pytest.raises(InputError, match="still being processed"):
        _once(
            database,
            key_id,
            lambda: pytest.fail("taken too early"),
            wait=0.05,
            now=NOW + STALE_AFTER - timedelta(seconds=1),
        )
    later = NOW + STALE_AFTER
    assert _once(database, key_id, lambda: (202, "{}"), now=later) == Answer(202, "{}")
    assert _rows(database) == [(202, "{}")]
