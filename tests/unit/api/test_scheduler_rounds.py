"""A failed background round is logged and the schedule goes on: our own errors (the
clearinghouse away) as one line naming what failed, anything else with its traceback."""

from __future__ import annotations

import asyncio
import logging

import pytest

from edigateway.api.scheduler import Every, _rounds
from edigateway.errors import TransferError


def _two_rounds_of(failure: Exception, caplog: pytest.LogCaptureFixture) -> int:
    """Run ``_rounds`` until its job failed twice; the number of rounds run."""
    calls = 0

    def job() -> None:
        nonlocal calls
        calls += 1
        raise failure

    async def run() -> None:
        task = asyncio.create_task(_rounds(Every("poll_clearinghouse", 0.01, job)))
        while calls < 2:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.WARNING, logger="edigateway.api.scheduler"):
        asyncio.run(run())
    return calls


def test_our_error_is_one_line_without_a_traceback(caplog: pytest.LogCaptureFixture):
    failure = TransferError("127.0.0.1:2222: cannot connect: [Errno 111] Connection refused")
    assert _two_rounds_of(failure, caplog) >= 2
    records = [r for r in caplog.records if "round failed" in r.getMessage()]
    assert len(records) >= 2
    first = records[0]
    assert first.levelno == logging.WARNING
    assert first.exc_info is None
    assert first.getMessage() == (
        "poll_clearinghouse round failed: 127.0.0.1:2222: cannot connect: "
        "[Errno 111] Connection refused; next in 0.01 s"
    )


def test_an_unexpected_error_keeps_its_traceback(caplog: pytest.LogCaptureFixture):
    assert _two_rounds_of(RuntimeError("bug"), caplog) >= 2
    records = [r for r in caplog.records if "round failed" in r.getMessage()]
    assert records
    assert records[0].levelno == logging.ERROR
    assert records[0].exc_info is not None
