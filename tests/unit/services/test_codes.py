"""Loading a practice's licensed CDT file: what is kept, and bad rows named by line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from edigateway.services.codes import (
    STORED,
    CodeFileError,
    CodeFileUnreadableError,
    load_cdt,
    loaded_cdt,
    parse_cdt,
)


def test_a_file_with_a_header_in_any_order(tmp_path: Path):
    source = tmp_path / "cdt.csv"
    source.write_text(
        "Deleted Date,CDT Code,Descriptor,Effective Date\n"
        ",D0120,periodic oral evaluation,2020-01-01\n"
        "12/31/2025,D9999,unspecified,\n",
        encoding="utf-8",
    )
    assert loaded_cdt(tmp_path / "var") is None
    result = load_cdt(source, tmp_path / "var")
    assert (result.codes, result.deleted, result.stored) == (2, 1, tmp_path / "var" / STORED)
    cdt = loaded_cdt(tmp_path / "var")
    assert cdt is not None
    assert cdt.codes["D0120"].effective == date(2020, 1, 1)
    assert cdt.codes["D9999"].deleted == date(2025, 12, 31)
    assert "cdt.csv" in cdt.source
    assert "periodic" not in (tmp_path / "var" / STORED).read_text()  # descriptors not kept


def test_a_file_without_header_is_positional_with_a_bom():
    codes = parse_cdt("\ufeffD2391,resin one surface,20200101\nD2392\n\n", "f.csv")
    assert sorted(codes) == ["D2391", "D2392"]
    assert codes["D2391"].effective == date(2020, 1, 1)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "the file is empty"),
        ("name,descriptor\nD0120,x\n", "line 1: no column named code"),
        ("D0120\nD012\n", "line 2, column code: D012 is not a CDT procedure code"),
        ("D0120\nD0120\n", "line 2: D0120 is listed again (first on line 1)"),
        ("D0120,x,2020-13-01\n", "line 1, column effective: '2020-13-01' is not a date"),
        ("D0120,x,2021-01-01,2020-01-01\n", "is deleted (2020-01-01) before it takes effect"),
        ("code\n\n", "no CDT codes found"),
    ],
)
def test_bad_rows_are_named(text: str, words: str):
    with pytest.raises(CodeFileError) as info:
        parse_cdt(text, "f.csv")
    assert words in str(info.value)
    assert str(info.value).startswith("f.csv")


def test_nothing_is_replaced_when_a_row_is_bad(tmp_path: Path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("D0120\n")
    bad.write_text("D0120\nXXXX\n")
    load_cdt(good, tmp_path)
    with pytest.raises(CodeFileError):
        load_cdt(bad, tmp_path)
    cdt = loaded_cdt(tmp_path)
    assert cdt is not None
    assert list(cdt.codes) == ["D0120"]
    with pytest.raises(CodeFileUnreadableError):
        load_cdt(tmp_path / "missing.csv", tmp_path)


def test_a_damaged_stored_list_is_a_configuration_error(tmp_path: Path):
    from edigateway.errors import ConfigurationError

    (tmp_path / STORED).parent.mkdir(parents=True)
    (tmp_path / STORED).write_text(json.dumps({"codes": [["D0120", "not a date", None]]}))
    with pytest.raises(ConfigurationError, match="load it again"):
        loaded_cdt(tmp_path)
