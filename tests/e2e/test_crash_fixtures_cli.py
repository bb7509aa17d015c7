"""The reader crash files through the command line and the HTTP API: an exit code and a
located message, or a problem document — never a traceback, never a 500.

``x12 parse``/``x12 validate``/``estimate`` exit 1 (malformed) or 2 (unreadable) as the
README says; ``era post`` quarantines (exit 1, ``problem`` located); a clearinghouse whose
real-time answer is one of the 271 crash files gets ``POST /v1/eligibility`` a 502 whose
problem locates the fault in its 271, and ``eligibility check`` exit 1. The clearinghouse is
a minimal CORE endpoint on loopback answering every request with the file's exact bytes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from edigateway.api.app import create_app
from edigateway.bootstrap import bootstrap
from edigateway.cli import app
from edigateway.services.access import create_key
from edigateway.settings import Settings
from edigateway.transports.core_envelope import REALTIME_271, CoreMessage, build
from tests.factories import NOW, REPO

pytestmark = pytest.mark.slow  # a CLI process per crash file and command

CRASHES = REPO / "fixtures" / "x12" / "crashes"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CRASHES / "expected.json").read_text())
PLAN = REPO / "fixtures" / "eligibility" / "01_ppo_full_breakdown" / "plan.json"
INQUIRY = REPO / "fixtures" / "inquiries" / "01_subscriber_all_dental.json"
PRACTICE = "1456789019"


def _files(suffix: str, *, whole_file: bool = True) -> list[str]:
    return sorted(
        n
        for n, want in EXPECTED.items()
        if n.endswith(suffix) and (not whole_file or not want.get("only"))
    )


def _exit_code(name: str) -> int:
    return 2 if EXPECTED[name]["error"] == "X12SyntaxError" else 1


def _where(name: str) -> str:
    """The location as messages print it: ``segment 15 (CLP, loop 2100, CLP03)``."""
    want = EXPECTED[name]
    detail = ", ".join(
        x
        for x in (
            want["segment_id"],
            f"loop {want['loop']}" if want["loop"] else None,
            want["element"],
        )
        if x
    )
    return f"segment {want['segment_index']} ({detail})"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDIGATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EDIGATEWAY_DATABASE_URL", raising=False)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", [n for n in _files("") if not n.endswith(".999")])
def test_parse_exits_with_the_location(name: str):
    code, out, err = run("x12", "parse", str(CRASHES / name), "--json")
    assert code == _exit_code(name)
    assert _where(name) in err
    # The JSON is written as the file is read: a file found malformed part-way leaves
    # what came before it, never a whole document a consumer could take for the file.
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


@pytest.mark.parametrize("name", _files(""))
def test_validate_gives_a_verdict(name: str):
    code, out, _ = run("x12", "validate", str(CRASHES / name), "--json")
    verdict = json.loads(out)
    assert not verdict["valid"]
    assert code == (2 if verdict["status"] == "unreadable" else 1)


@pytest.mark.parametrize("name", _files(".271", whole_file=False))
def test_estimate_exits_with_the_location(name: str):
    code, out, err = run("estimate", "--benefits", str(CRASHES / name), "--plan", str(PLAN))
    assert (code, out) == (_exit_code(name), "")
    assert str(CRASHES / name) in err
    if EXPECTED[name]["segment_index"] is not None:
        assert _where(name) in err


@pytest.mark.parametrize("name", _files(".835"))
def test_era_post_quarantines_with_the_location(name: str):
    code, out, _ = run("era", "post", str(CRASHES / name), "--json")
    document = json.loads(out)
    want = EXPECTED[name]
    assert (code, document["status"]) == (1, "quarantined")
    assert document["problem"] == {
        k: want[k] for k in ("segment_index", "segment_id", "loop", "element")
    }
    code, out, _ = run("workqueue", "list")
    assert "[quarantined]" in out
    assert _where(name) in out


# --------------------------------------------------------------------------- real time


class _Clearinghouse:
    """A CORE real-time endpoint on 127.0.0.1 that answers every request with ``answer``
    (bytes, sent as they are: the point is what the gateway makes of them)."""

    def __init__(self) -> None:
        self.answer = b""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body, content_type = build(
                    CoreMessage(
                        payload_type=REALTIME_271,
                        payload="@PAYLOAD@",
                        sender_id="EDGSIM",
                        receiver_id="MAPLEDENTAL",
                        error_code="Success",
                    )
                )
                body = body.replace(b"@PAYLOAD@", owner.answer)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture(scope="module")
def clearinghouse() -> Iterator[_Clearinghouse]:
    endpoint = _Clearinghouse()
    endpoint.thread.start()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


@pytest.mark.parametrize("name", _files(".271"))
def test_eligibility_api_answers_502_with_the_location(
    name: str, data_dir: Path, clearinghouse: _Clearinghouse
):
    clearinghouse.answer = (CRASHES / name).read_bytes()
    settings = Settings(
        data_dir=data_dir / "api", mappings_dir=REPO / "mappings", sim_http_port=clearinghouse.port
    )
    gateway = bootstrap(settings, clock=lambda: NOW)
    key = create_key(
        gateway.database,
        practice=PRACTICE,
        scopes="admin",
        name="test",
        keyring=gateway.keyring,
        now=NOW,
        create_name="MAPLE",
    ).token
    inquiry = json.loads(INQUIRY.read_text())
    with TestClient(create_app(gateway), base_url="http://127.0.0.1") as client:
        answer = client.post(
            "/v1/eligibility", json={"inquiry": inquiry}, headers={"Authorization": f"Bearer {key}"}
        )
    gateway.database.dispose()
    assert answer.status_code == 502, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["detail"].startswith("the clearinghouse's 271 could not be read: ")
    assert _where(name) in problem["errors"][0]["path"]


@pytest.mark.parametrize("name", _files(".271"))
def test_eligibility_check_exits_1_with_the_location(
    name: str, data_dir: Path, clearinghouse: _Clearinghouse, monkeypatch: pytest.MonkeyPatch
):
    clearinghouse.answer = (CRASHES / name).read_bytes()
    monkeypatch.setenv("EDIGATEWAY_SIM_HTTP_PORT", str(clearinghouse.port))
    code, out, err = run("eligibility", "check", str(INQUIRY))
    assert (code, out) == (1, "")
    assert "the clearinghouse's 271 could not be read" in err
    assert _where(name) in err
