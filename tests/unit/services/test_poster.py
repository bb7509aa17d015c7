"""The posting engine's process-level behaviour (its money and rows are tested by the
ERA and money-integrity scenarios): the objects alive before posting are frozen out of the
cyclic collector while an 835 is posted, and handed back afterwards, even when posting
fails (issue 18, target 1: the collector's full passes over them cost ~20 % of a post); a
process that froze objects itself keeps its own choice."""

from __future__ import annotations

import gc
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from edigateway.codelists import CodeLists
from edigateway.persistence.database import Database
from edigateway.services.poster import Poster
from edigateway.services.posting import post_received
from edigateway.services.received import ReceivedFile
from tests.factories import REPO

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from edigateway.x12.x835_005010X221A1 import Event

ERA = REPO / "fixtures" / "era" / "01_full_pay" / "era.835"
CODES = CodeLists.load(REPO / "mappings")
NOW = datetime(2026, 11, 30, 9, 0)


def _post(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'post.sqlite3'}")
    db.upgrade()
    try:
        post_received(
            db, ReceivedFile.of(str(ERA), ERA.read_bytes(), source="cli"), codes=CODES, now=NOW
        )
    finally:
        db.engine.dispose()


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Nothing frozen when the test starts (the suite's conftest freezes what collection
    left alive); frozen again afterwards, as the rest of the session expects."""
    gc.unfreeze()
    yield
    gc.freeze()


@pytest.mark.usefixtures("unfrozen")
def test_objects_alive_before_posting_are_frozen_while_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    held = [1]  # a list: the collector tracks it
    frozen_during: list[int] = []
    tracked_during: list[bool] = []

    def post_events(_self: Poster, events: Iterator[Event]) -> None:
        frozen_during.append(gc.get_freeze_count())
        tracked_during.append(any(o is held for o in gc.get_objects()))
        for _event in events:
            pass

    monkeypatch.setattr(Poster, "_post_events", post_events)
    _post(tmp_path)
    assert frozen_during[0] > 0
    assert tracked_during == [False]  # in no generation while posting
    assert gc.get_freeze_count() == 0
    assert any(o is held for o in gc.get_objects())  # back with the collector


@pytest.mark.usefixtures("unfrozen")
def test_a_failed_post_hands_the_objects_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def post_events(_self: Poster, _events: Iterator[Event]) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(Poster, "_post_events", post_events)
    with pytest.raises(RuntimeError, match="injected"):
        _post(tmp_path)
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("unfrozen")
def test_a_process_that_froze_objects_itself_keeps_them_frozen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    early = [0]  # alive when the host freezes: its choice
    gc.freeze()  # as a server that freezes what it loaded before forking
    later = [1]  # alive after the host's freeze: still the collector's
    tracked_during: list[bool] = []

    def post_events(_self: Poster, events: Iterator[Event]) -> None:
        tracked_during.append(any(o is later for o in gc.get_objects()))
        for _event in events:
            pass

    monkeypatch.setattr(Poster, "_post_events", post_events)
    try:
        _post(tmp_path)
        assert not any(o is early for o in gc.get_objects())  # not handed back
        assert tracked_during == [True]  # nothing more frozen
    finally:
        gc.unfreeze()
