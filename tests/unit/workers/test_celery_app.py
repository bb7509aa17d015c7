"""A Celery worker process keeps one gateway for its tasks and closes it when the worker
shuts down (Celery's shutdown signals), releasing the database pool it opened; each app
made by ``make_celery`` runs its tasks with its own settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from celery.signals import worker_process_shutdown, worker_shutdown
from sqlalchemy.pool import QueuePool

from edigateway import bootstrap as wiring
from edigateway.bootstrap import Gateway
from edigateway.workers.celery_app import make_celery
from tests.factories import settings_for


@pytest.mark.parametrize(
    "signal", [worker_process_shutdown, worker_shutdown], ids=["prefork child", "solo or threads"]
)
def test_the_worker_gateway_is_kept_then_closed_at_shutdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signal: object
) -> None:
    built: list[Gateway] = []
    real = wiring.bootstrap

    def recorded(*args: object, **kwargs: object) -> Gateway:
        built.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return built[-1]

    monkeypatch.setattr(wiring, "bootstrap", recorded)
    app = make_celery(settings_for(tmp_path / "data", broker_url="memory://"))
    task = app.tasks["edigateway.open_appeal_reminders"]
    assert task.apply().get() == 0
    assert task.apply().get() == 0
    assert len(built) == 1  # one gateway for every task of the process
    assert built[0].settings.data_dir == tmp_path / "data"  # this app's, not an earlier one's
    pool = built[0].database.engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedin() == 1

    signal.send(sender=None, pid=os.getpid(), exitcode=0)  # type: ignore[attr-defined]

    assert pool.checkedin() == 0  # closed: the pool it opened is disposed
    signal.send(sender=None, pid=os.getpid(), exitcode=0)  # type: ignore[attr-defined]
    assert task.apply().get() == 0
    assert len(built) == 2  # a task after shutdown began builds a fresh one
    built[1].close()


def test_each_celery_app_runs_its_tasks_with_its_own_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[Gateway] = []
    real = wiring.bootstrap

    def recorded(*args: object, **kwargs: object) -> Gateway:
        built.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return built[-1]

    monkeypatch.setattr(wiring, "bootstrap", recorded)
    first = make_celery(settings_for(tmp_path / "first", broker_url="memory://"))
    second = make_celery(settings_for(tmp_path / "second", broker_url="memory://"))
    for app in (first, second):
        assert app.tasks["edigateway.open_appeal_reminders"].apply().get() == 0
    assert [g.settings.data_dir for g in built] == [tmp_path / "first", tmp_path / "second"]
    worker_shutdown.send(sender=None)  # closes both (and disconnects their handlers)
    assert [g.database.engine.pool.checkedin() for g in built] == [0, 0]  # type: ignore[attr-defined]
