"""The demo's folders: its data folder private, the simulator's beside it (not inside) and
fresh too, so a rerun never meets an earlier run's plain-text files or interchanges."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from edigateway.demo.job import fresh_data_dir, fresh_sim_dir
from edigateway.errors import InputError


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_simulators_folder_is_beside_the_demos_and_private():
    data = fresh_data_dir(None)
    try:
        sim = fresh_sim_dir(data)
        assert sim == data.with_name(f"{data.name}-sim")
        assert not sim.is_relative_to(data)
        assert (mode(data), mode(sim)) == (0o700, 0o700)
    finally:
        shutil.rmtree(data)
        shutil.rmtree(data.with_name(f"{data.name}-sim"), ignore_errors=True)


def test_a_given_folder_and_its_simulator_folder_must_be_fresh(tmp_path: Path):
    data = fresh_data_dir(tmp_path / "demo")
    assert mode(data) == 0o700
    (tmp_path / "demo-sim").mkdir()
    (tmp_path / "demo-sim" / "sim-state.json").write_text("{}")
    with pytest.raises(InputError, match="demo-sim: not empty; the simulator's folder"):
        fresh_sim_dir(data)
    (data / "edigateway.sqlite3").write_text("")
    with pytest.raises(InputError, match="demo: not empty"):
        fresh_data_dir(data)
