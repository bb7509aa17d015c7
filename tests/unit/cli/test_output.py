"""``emit``: the one place a command prints its result, as JSON or as text."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from edigateway.cli.output import emit


@dataclass
class Sent:
    file_name: str
    status: str


class Benefit(BaseModel):
    code: str
    amount: Decimal
    note: str


@dataclass
class Posted:
    file: str
    amount: Decimal


def _printed(result: object, capsys: pytest.CaptureFixture[str], **how: Any) -> str:
    emit(result, **how)
    return capsys.readouterr().out


def test_json_is_one_line_with_exact_amounts_and_dates(capsys: pytest.CaptureFixture[str]):
    out = _printed({"amount": Decimal("10.10"), "on": date(2026, 11, 2), "n": 1}, capsys, json=True)
    assert out == '{"amount": "10.10", "on": "2026-11-02", "n": 1}\n'


def test_results_print_as_their_documented_json(capsys: pytest.CaptureFixture[str]):
    posted = Posted("era.835", Decimal("175.00"))
    assert _printed(posted, capsys, json=True) == '{"file": "era.835", "amount": "175.00"}\n'
    assert (
        _printed(
            posted,
            capsys,
            json=True,
            text=lambda p: (p.file,),
            document=lambda p: {"file": p.file, "amount": str(p.amount), "n": 1},
        )
        == '{"file": "era.835", "amount": "175.00", "n": 1}\n'
    )
    assert (
        _printed(posted, capsys, json=False, text=lambda p: (p.file,), document=lambda p: {})
        == "era.835\n"
    )
    assert json.loads(
        _printed({"files": [Sent("a.837", "sent")], "missing_999": 2}, capsys, json=True)
    ) == {"files": [{"file_name": "a.837", "status": "sent"}], "missing_999": 2}
    model = Benefit(code="D2740", amount=Decimal("1200.00"), note="crown – porcelain")
    assert _printed(model, capsys, json=True, indent=2) == model.model_dump_json(indent=2) + "\n"
    assert (
        _printed([model], capsys, json=True, indent=2)
        == json.dumps([json.loads(model.model_dump_json())], indent=2) + "\n"
    )


def test_text_is_the_lines_the_command_makes(capsys: pytest.CaptureFixture[str]):
    sent = [Sent("a.837", "sent"), Sent("b.837", "failed")]
    out = _printed(
        sent, capsys, json=False, text=lambda rows: (f"{r.file_name}: {r.status}" for r in rows)
    )
    assert out == "a.837: sent\nb.837: failed\n"
    assert _printed(sent, capsys, json=False) == ""
