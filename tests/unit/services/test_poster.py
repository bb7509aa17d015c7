"""The posting engine's process-level behaviour (its money and rows are tested by the
ERA and money-integrity scenarios): the objects alive before posting are frozen out of the
cyclic collector while an 835 is posted, and handed back afterwards, even when posting
fails (issue 18, target 1: the collector's full passes over them cost ~20 % of a post); a
process that froze objects itself keeps its own choice. Likewise the young generation is
collected less often while posting, and a process's own threshold is left alone."""

from __future__ import annotations

import gc
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from edigateway.codelists import CodeLists
from edigateway.persistence.database import Database
from edigateway.services.poster import GEN0_WHILE_POSTING, INTERPRETER_GEN0, Poster
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


@pytest.fixture
def threshold() -> Iterator[tuple[int, int, int]]:
    """The interpreter's own thresholds when the test starts, and whatever the process had
    put back afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(INTERPRETER_GEN0, before[1], before[2])
    yield gc.get_threshold()
    gc.set_threshold(*before)


def _thresholds_while_posting(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int]]:
    seen: list[tuple[int, int, int]] = []

    def post_events(_self: Poster, events: Iterator[Event]) -> None:
        seen.append(gc.get_threshold())
        for _event in events:
            pass

    monkeypatch.setattr(Poster, "_post_events", post_events)
    return seen


def test_young_collections_are_spaced_while_posting_and_the_threshold_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: tuple[int, int, int]
):
    seen = _thresholds_while_posting(monkeypatch)
    _post(tmp_path)
    assert seen == [(GEN0_WHILE_POSTING, threshold[1], threshold[2])]
    assert gc.get_threshold() == threshold


def test_a_failed_post_puts_the_threshold_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: tuple[int, int, int]
):
    def post_events(_self: Poster, _events: Iterator[Event]) -> None:
        assert gc.get_threshold()[0] == GEN0_WHILE_POSTING
        raise RuntimeError("injected")

    monkeypatch.setattr(Poster, "_post_events", post_events)
    with pytest.raises(RuntimeError, match="injected"):
        _post(tmp_path)
    assert gc.get_threshold() == threshold


@pytest.mark.usefixtures("threshold")
def test_a_process_that_set_its_own_threshold_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    gc.set_threshold(1_000, 20, 30)
    seen = _thresholds_while_posting(monkeypatch)
    _post(tmp_path)
    assert seen == [(1_000, 20, 30)]
    assert gc.get_threshold() == (1_000, 20, 30)


def test_a_process_without_the_collector_is_left_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: tuple[int, int, int]
):
    seen = _thresholds_while_posting(monkeypatch)
    gc.disable()
    try:
        _post(tmp_path)
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert seen == [threshold]
