"""``edigateway claims attach CLAIM FILE --type RB``: the file is attached to the claim
named by its number or ID (0), an unreadable file exits 2, a refused type or size and an
unknown claim exit 1, each with one error line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edigateway.cli import app
from tests.factories import REPO

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) + b"\xff\xd9"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EDIGATEWAY_MAPPINGS_DIR", str(REPO / "mappings"))
    monkeypatch.setenv("EDIGATEWAY_ATTACHMENT_MAX_BYTES", "2048")
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    return tmp_path / "var"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_claims_attach(tmp_path: Path):
    claims = REPO / "fixtures" / "claims" / "05_crown_initial.json"
    code, out, err = run("claims", "import", str(claims), "--json")
    assert code == 0, err
    pcn = json.loads((claims).read_text())["claims"][0]["patient_control_number"]
    image = tmp_path / "bitewings.jpg"
    image.write_bytes(JPEG)

    code, out, err = run("claims", "attach", pcn, str(image), "--type", "rb", "--json")
    assert code == 0, err
    attached = json.loads(out)
    assert attached["report_type"] == "RB"
    assert attached["media_type"] == "image/jpeg"
    assert attached["control_number"].startswith("A")
    code, out, _ = run("claims", "attach", str(attached["claim_id"]), str(image), "--type", "P6")
    assert code == 0
    assert f"to claim {pcn} as " in out

    code, out, err = run("claims", "attach", pcn, str(tmp_path / "missing.jpg"), "--type", "RB")
    assert (code, out) == (2, "")
    assert "cannot read the file" in err
    words = tmp_path / "notes.txt"
    words.write_text("not an image")
    code, _, err = run("claims", "attach", pcn, str(words), "--type", "RB")
    assert code == 1
    assert "JPEG, PNG, TIFF or PDF" in err
    big = tmp_path / "big.jpg"
    big.write_bytes(JPEG + bytes(4096))
    code, _, err = run("claims", "attach", pcn, str(big), "--type", "RB")
    assert code == 1
    assert "at most 2,048 bytes" in err
    code, _, err = run("claims", "attach", pcn, str(image), "--type", "XX")
    assert code == 1
    assert "report_type" in err
    code, _, err = run("claims", "attach", "NOSUCH", str(image), "--type", "RB")
    assert code == 1
    assert "no claim 'NOSUCH'" in err
