"""Clearinghouse profiles are data: every shipped profile loads; mistakes are named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edigateway.clearinghouses import load_profile
from edigateway.errors import ConfigurationError
from tests.factories import REPO

PROFILES = sorted((REPO / "mappings" / "clearinghouses").glob("*.json"))


@pytest.mark.parametrize("path", PROFILES, ids=[p.stem for p in PROFILES])
def test_shipped_profiles_load(path: Path):
    profile = load_profile(REPO / "mappings", path.stem)
    assert profile.name == path.stem
    assert profile.sftp is not None or profile.https is not None


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ConfigurationError, match="known: simulator"):
        load_profile(REPO / "mappings", "nope")


def test_bad_field_is_named(tmp_path: Path):
    folder = tmp_path / "clearinghouses"
    folder.mkdir()
    document = json.loads((REPO / "mappings/clearinghouses/simulator.json").read_text())
    document["sftp"]["port"] = 70000
    (folder / "simulator.json").write_text(json.dumps(document))
    with pytest.raises(ConfigurationError, match=r"sftp\.port"):
        load_profile(tmp_path, "simulator")
