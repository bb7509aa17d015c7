"""Control numbers from the database: consecutive per sender, never reused, continuing
from the legacy counter file, and rolled back with the transaction that took them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edigateway.persistence.database import Database
from edigateway.services.control_numbers import DatabaseControlNumbers


def test_numbers_are_consecutive_per_sender(database: Database):
    numbers = DatabaseControlNumbers(lambda: database)
    assert [numbers.allocate("A").interchange for _ in range(3)] == [1, 2, 3]
    assert numbers.allocate("B").interchange == 1
    assert numbers.allocate("A").interchange == 4


def test_continues_from_the_legacy_file(database: Database, tmp_path: Path):
    legacy = tmp_path / "control-numbers.json"
    legacy.write_text(json.dumps({"A": 41}))
    numbers = DatabaseControlNumbers(lambda: database, legacy_file=legacy)
    assert numbers.allocate("A").interchange == 42
    assert numbers.allocate("B").interchange == 1


def test_a_rolled_back_allocation_is_not_kept(database: Database):
    numbers = DatabaseControlNumbers(lambda: database)
    numbers.allocate("A")
    taken: list[int] = []

    def take_then_fail() -> None:
        with database.transaction() as session:
            taken.append(numbers.allocate_in(session, "A").interchange)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        take_then_fail()
    assert taken == [2]
    assert numbers.allocate("A").interchange == 2
