"""``edigateway appeals create/list/letter/sent/outcome/remind``: the same use cases as the
API, on a claim denied by an 835 posted from the command line (ERA103, CO-197 + N130):
the letter written as PDF and HTML, the send moving the claim to appealed, exit 2 for an
unreadable narrative file and 1 (one error line) for refused input."""

from __future__ import annotations

import json
from pathlib import Path

import pypdf
import pytest
from typer.testing import CliRunner

from edigateway.cli import app
from tests.factories import REPO

ERA = REPO / "fixtures" / "era"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EDIGATEWAY_MAPPINGS_DIR", str(REPO / "mappings"))
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    return tmp_path / "var"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow  # 4.0 s on the loaded 2-core machine
def test_appeal_from_the_command_line(tmp_path: Path):
    assert run("claims", "import", str(ERA / "claims.json"))[0] == 0
    code, _, err = run("era", "post", str(ERA / "03_denial" / "era.835"))
    assert code == 0, err
    why = tmp_path / "why.txt"
    why.write_text("The crown replaced a fractured cusp; the radiograph shows it.\n")

    code, out, err = run(
        "appeals",
        "create",
        "ERA103",
        "--reason",
        "medical_necessity",
        "--narrative-file",
        str(why),
        "--json",
    )
    assert code == 0, err
    made = json.loads(out)
    assert (made["status"], made["denied_amount"], made["claim_state"]) == (
        "draft",
        "1250.00",
        "denied",
    )

    pdf = tmp_path / "letter.pdf"
    code, out, err = run("appeals", "letter", str(made["id"]), "-o", str(pdf))
    assert code == 0, err
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages).split())
    for expected in ("ERA103", "1250.00", "CO-197", "N130", "fractured cusp"):
        assert expected in text, expected
    html = tmp_path / "letter.html"
    assert run("appeals", "letter", str(made["id"]), "-o", str(html))[0] == 0
    assert "fractured cusp" in html.read_text()

    code, out, err = run(
        "appeals",
        "sent",
        str(made["id"]),
        "--method",
        "portal",
        "--follow-up",
        "2099-01-01",
        "--json",
    )
    assert code == 0, err
    sent = json.loads(out)
    assert (sent["claim_state"], sent["sent_method"], sent["follow_up_on"]) == (
        "appealed",
        "portal",
        "2099-01-01",
    )
    code, out, _ = run("appeals", "list", "--claim", "ERA103")
    assert f"#{made['id']} claim ERA103 (appealed)" in out
    assert run("appeals", "remind")[1].strip() == "0 follow-up reminder(s) opened"
    code, out, err = run("appeals", "outcome", str(made["id"]), "partially-won", "--json")
    assert code == 0, err
    assert json.loads(out)["outcome"] == "partially_won"
    assert [a["id"] for a in json.loads(run("appeals", "list", "--json")[1])] == [made["id"]]

    code, out, err = run(
        "appeals",
        "create",
        "ERA103",
        "--reason",
        "other",
        "--narrative-file",
        str(tmp_path / "missing.txt"),
    )
    assert (code, out) == (2, "")
    assert "missing.txt" in err
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00")
    assert (
        run("appeals", "create", "ERA103", "--reason", "other", "--narrative-file", str(binary))[0]
        == 2
    )
    code, _, err = run(
        "appeals", "create", "ERA101", "--reason", "other", "--narrative-file", str(why)
    )
    assert code == 1
    assert err.count("\n") == 1
    code, _, err = run("appeals", "outcome", str(made["id"]), "won")
    assert code == 1
    assert "decided already" in err
    code, _, err = run("appeals", "sent", "999", "--method", "fax")
    assert code == 1
    assert "no appeal 999" in err
    assert (
        run("appeals", "create", "ERA103", "--reason", "because", "--narrative-file", str(why))[0]
        == 2
    )
