"""API keys proven once are trusted from the process's cache for a bounded time: a key
revoked in this process stops at once, one revoked by another process within
``KEY_CACHE_SECONDS``, and nothing but the proven secret is ever taken from the cache."""

from __future__ import annotations

import pytest

from edigateway.errors import AccessDenied
from edigateway.persistence.database import Database
from edigateway.services.access import (
    KEY_CACHE_SECONDS,
    Principal,
    authenticate_key,
    create_key,
    key_cache,
    revoke_key,
)
from tests.factories import NOW, PRACTICE_NPI


def _token(db: Database) -> str:
    return create_key(
        db,
        practice=PRACTICE_NPI,
        scopes="claims:read",
        name="cache",
        keyring=db.phi.keyring,
        now=NOW,
        create_name="MAPLE STREET DENTAL",
    ).token


def _proven(db: Database, token: str) -> Principal:
    return authenticate_key(db, token, keyring=db.phi.keyring, now=NOW)


def test_a_key_revoked_by_another_process_stops_within_the_bound(database: Database):
    token = _token(database)
    ticks = [100.0]
    cache = key_cache(database)
    cache.clock = lambda: ticks[0]
    principal = _proven(database, token)
    assert principal.practice_npi == PRACTICE_NPI  # read with the key: creates need it
    assert cache.principal(token) == principal

    elsewhere = Database(database.engine, database.phi)  # another process's handle
    revoke_key(elsewhere, principal.key_id, now=NOW)

    ticks[0] = 100.0 + KEY_CACHE_SECONDS - 0.01
    assert cache.principal(token) == principal  # the documented lag, no longer
    ticks[0] = 100.0 + KEY_CACHE_SECONDS
    assert cache.principal(token) is None
    with pytest.raises(AccessDenied):
        _proven(database, token)


def test_a_key_revoked_in_this_process_stops_at_once(database: Database):
    token = _token(database)
    principal = _proven(database, token)
    assert key_cache(database).principal(token) == principal
    revoke_key(database, principal.key_id, now=NOW)
    assert key_cache(database).principal(token) is None
    with pytest.raises(AccessDenied):
        _proven(database, token)


def test_only_the_proven_secret_is_taken_from_the_cache(database: Database):
    token = _token(database)
    _proven(database, token)
    prefix, key_id, secret = token.split("_", 2)
    forged = f"{prefix}_{key_id}_{'A' * len(secret)}"
    assert key_cache(database).principal(forged) is None
    assert key_cache(database).principal("not a key") is None
    assert key_cache(database).principal(None) is None
    with pytest.raises(AccessDenied):
        _proven(database, forged)
    # a failed attempt is not remembered and does not evict the proven key
    assert key_cache(database).principal(token) is not None
