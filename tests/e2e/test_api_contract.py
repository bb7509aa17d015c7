"""The API's contract, as a PM vendor generating an SDK relies on it (issue 17): the
checked-in OpenAPI document is the served one; operations are hand-named, secured with
their scope and documented; every property described; money is a string and every time
carries its offset — in the schema and in real answers —; problems have a type per kind
(409 conflicts, 415 bodies that are not JSON, edit IDs as a field); ETags; updated_since;
remittance filters; received files; health probes.

One practice's records are made once for the module (a paid claim with its remittance and
work items, a claim left ready) on a clock the tests move forward; tests that change
records make their own.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.api.descriptions import FIELDS
from edigateway.api.problems import PROBLEM_TYPES, TYPE_BASE
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.jobs import poll_clearinghouse, send_outbox
from edigateway.services.access import create_key
from edigateway.settings import Settings
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import REPO

CHECKED_IN = REPO / "docs" / "openapi.json"
UPLOADS = {"POST /v1/claims/{claim_id}/attachments"}
"""The operations that take files (multipart) instead of a JSON body."""
START = datetime(2026, 11, 23, 9, 0)
PRACTICE_A, PRACTICE_B = "1456789019", "1234567893"
OFFSET = re.compile(r"(Z|[+-]\d\d:\d\d)$")


class Clock:
    """The gateway's clock (naive local wall-clock time, as the gateway keeps it)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: int = 1) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


@dataclass
class World:
    gateway: Gateway
    sim: Simulator
    clock: Clock
    api: TestClient
    a: dict[str, str]
    b: dict[str, str]
    paid: int
    ready: int


def _claim(name: str = "05_crown_initial", pcn: str | None = None) -> dict[str, Any]:
    document = json.loads((REPO / f"fixtures/claims/{name}.json").read_text())
    claim: dict[str, Any] = document["claims"][0] if "claims" in document else document
    if pcn is not None:
        claim["patient_control_number"] = pcn
        for number, line in enumerate(claim["lines"], 1):
            if line.get("line_control_number"):
                line["line_control_number"] = f"{pcn}-{number}"
    return claim


def _numbered(world: World, pcn: str) -> int:
    """A new claim the payer has numbered (as a 277CA or 835 would), so it can be
    replaced or voided."""
    from edigateway.persistence.tables import ClaimRow

    claim_id: int = _ok(world.api.post("/v1/claims", json=_claim(pcn=pcn), headers=world.a))["id"]
    with world.gateway.database.transaction() as session:
        row = session.get(ClaimRow, claim_id)
        assert row is not None
        row.payer_claim_control_number = f"PAYER-{pcn}"
    return claim_id


def _corrected(pcn: str, second_line: str = "280.00") -> dict[str, Any]:
    """05_crown_initial with its second line's charge changed (and the total with it)."""
    claim = _claim(pcn=pcn)
    claim["lines"][1]["charge"] = second_line
    claim["total_charge"] = f"{1250 + float(second_line):.2f}"
    return claim


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


def _exchange(world: World) -> None:
    """What the sender and the poller do: upload, the simulator answers, download."""
    send_outbox(world.gateway)
    world.sim.cycle()
    poll_clearinghouse(world.gateway)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("contract")
    validator = Validator(REPO / "mappings", folder / "cache")
    settings = Settings(data_dir=folder / "var", mappings_dir=REPO / "mappings")
    clock = Clock()
    with Simulator(settings, validator=validator, clock=clock, sftp_port=0, http_port=0) as sim:
        gateway = bootstrap(
            settings.model_copy(update=sim.client_settings()), clock=clock, validator=validator
        )
        a, b = (
            {
                "Authorization": "Bearer "
                + create_key(
                    gateway.database,
                    practice=npi,
                    scopes="admin",
                    name="contract",
                    keyring=gateway.keyring,
                    now=START,
                    create_name=f"P{npi}",
                ).token
            }
            for npi in (PRACTICE_A, PRACTICE_B)
        )
        with TestClient(create_app(gateway), base_url="http://127.0.0.1") as api:
            paid = _ok(api.post("/v1/claims", json=_claim(), headers=a))["id"]
            denied = _ok(
                api.post(
                    "/v1/claims", headers=a, json=_claim("23_perio_maintenance_and_night_guard")
                )
            )["id"]  # the night guard: denied
            _ok(api.post("/v1/claims/submit", json={"claim_ids": [paid, denied]}, headers=a))
            world = World(gateway, sim, clock, api, a, b, paid, 0)
            _exchange(world)
            world.ready = _ok(
                api.post("/v1/claims", json=_claim("01_filling_amalgam_mod"), headers=a)
            )["id"]
            yield world
        gateway.close()


def _problem(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["status"], body["type"]) == (status, TYPE_BASE + kind), body
    assert set(body) <= {"type", "title", "status", "detail", "errors"}
    assert body["title"] == PROBLEM_TYPES[kind].title
    return body


def _document(world: World) -> dict[str, Any]:
    document: dict[str, Any] = world.api.get("/v1/openapi.json").json()
    return document


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A JSON Schema validator of ``schema`` whose references resolve in ``document``
    (formats checked: an RFC 3339 date-time must carry its offset)."""
    return jsonschema_rs.Draft202012Validator(
        {**schema, "components": document["components"]}, validate_formats=True
    )


# --------------------------------------------------------------------------- the document


@pytest.mark.slow  # 3.2 s on the loaded 2-core machine
def test_the_checked_in_document_is_the_served_one(world: World):
    served = _document(world)
    checked_in = json.loads(CHECKED_IN.read_text(encoding="utf-8"))
    assert served == checked_in, (
        "docs/openapi.json differs from the served document: review the change, then "
        "regenerate it with `.venv/bin/python -m edigateway.api.export docs/openapi.json`"
    )


@pytest.mark.slow  # 1.2 s set-up + 1.3 s at load ~2 (inner loop < 60 s)
def test_operations_are_hand_named_secured_and_documented(world: World):
    document = _document(world)
    schemes = document["components"]["securitySchemes"]
    assert (schemes["bearerAuth"]["type"], schemes["bearerAuth"]["scheme"]) == ("http", "bearer")
    assert (
        schemes["apiKeyAuth"]["type"],
        schemes["apiKeyAuth"]["in"],
        schemes["apiKeyAuth"]["name"],
    ) == ("apiKey", "header", "X-API-Key")
    names = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            names.append(operation["operationId"])
            assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)+", operation["operationId"]), where
            parameters = operation.get("parameters", [])
            assert not {p["name"].lower() for p in parameters} & {"authorization", "x-api-key"}, (
                where
            )
            assert all(p.get("description") for p in parameters), where
            if "requestBody" in operation:
                content = operation["requestBody"]["content"]
                if where in UPLOADS:  # files: multipart, the file and its form fields
                    assert list(content) == ["multipart/form-data"], where
                else:
                    assert list(content) == ["application/json"], where
                    assert content["application/json"].get("examples"), where
            if not path.startswith("/v1/"):
                assert "security" not in operation, where  # the public health probes
                continue
            (scope,) = operation["x-scopes"]
            assert operation["security"] == [{"bearerAuth": [scope]}, {"apiKeyAuth": [scope]}], (
                where
            )
            assert f"Requires the scope `{scope}`" in operation["description"], where
            errors = {s: r for s, r in operation["responses"].items() if s >= "400"}
            assert {"401", "403", "422", "500", "503"} <= set(errors), where
            for answer in errors.values():
                assert answer["content"] == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, where
    assert len(names) == len(set(names)) >= 20
    assert {
        "createClaim",
        "listRemittances",
        "getRemittance",
        "getClaim",
        "submitClaims",
        "listReceivedFiles",
        "getHealth",
        "getReadiness",
    } <= set(names)


def test_every_property_is_described_and_the_description_table_is_not_stale(world: World):
    document = _document(world)
    bare = [
        f"{name}.{field}"
        for name, schema in document["components"]["schemas"].items()
        for field, spec in schema.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert bare == []
    assert "Claim-Input" not in document["components"]["schemas"]  # one schema per model
    app = world.api.app
    assert isinstance(app, FastAPI)
    raw = get_openapi(title="t", version="0", routes=app.routes)["components"]["schemas"]
    undescribed = {
        (name.removesuffix("-Input").removesuffix("-Output"), field)
        for name, schema in raw.items()
        for field, spec in schema.get("properties", {}).items()
        if not spec.get("description")
    }
    table = {(name, field) for name, fields in FIELDS.items() for field in fields}
    assert table - undescribed == set(), "entries the models now describe, or gone"


def test_examples_fit_their_schemas_and_no_schema_is_a_number(world: World):
    document = _document(world)
    checked = 0
    for name, schema in document["components"]["schemas"].items():
        for example in schema.get("examples", []):
            errors = [
                e.message
                for e in _validator(document, {"$ref": f"#/components/schemas/{name}"}).iter_errors(
                    example
                )
            ]
            assert errors == [], (name, errors)
            checked += 1
    for path, item in document["paths"].items():
        for operation in item.values():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            for example in (body or {}).get("examples", {}).values():
                errors = [
                    e.message
                    for e in _validator(document, body["schema"]).iter_errors(example["value"])
                ]
                assert errors == [], (path, errors)
                checked += 1
    assert checked >= 15
    assert '"number"' not in json.dumps(document), "money and rates are strings"


# --------------------------------------------------------------------------- real answers


def _no_floats(text: str) -> Any:
    def refuse(literal: str) -> float:
        pytest.fail(f"a JSON number with a fraction on the wire: {literal}")

    return json.loads(text, parse_float=refuse)


def _answer_schema(document: dict[str, Any], method: str, url: str, status: int) -> dict[str, Any]:
    path = url.split("?", maxsplit=1)[0]
    for template, item in document["paths"].items():
        pattern = re.sub(r"\{[^}]+\}", r"[^/]+", template)
        if re.fullmatch(pattern, path) and method in item:
            content = item[method]["responses"][str(status)]["content"]
            schema: dict[str, Any] = next(iter(content.values()))["schema"]
            return schema
    pytest.fail(f"{method} {url} is not documented")


@pytest.mark.slow  # 1.2 s at load ~2 (inner loop < 60 s)
def test_real_answers_match_the_schema_money_as_strings_and_times_with_offsets(world: World):
    """Walks the answers of every kind of route — reads, lists, creation, submission,
    replacement, void, validation, estimates, eligibility, problems — against the schema
    the document gives for their status: no JSON number with a fraction anywhere, every
    date-time with its offset (format checked), money matching its string pattern."""
    api, a, document = world.api, world.a, _document(world)
    fresh = _ok(api.post("/v1/claims", json=_claim(pcn="WALK01"), headers=a))["id"]
    numbered = _numbered(world, "WALK03")
    remittance = _ok(api.get("/v1/remittances", headers=a))["items"][0]["id"]
    inquiry = json.loads((REPO / "fixtures/inquiries/01_subscriber_all_dental.json").read_text())
    benefits = _ok(api.post("/v1/eligibility", json={"inquiry": inquiry}, headers=a))
    plan = json.loads((REPO / "fixtures/eligibility/01_ppo_full_breakdown/plan.json").read_text())
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("get", f"/v1/claims/{world.paid}", {}),
        ("get", f"/v1/claims/{world.paid}/history", {}),
        ("get", "/v1/claims?limit=5", {}),
        ("get", "/v1/remittances", {}),
        ("get", f"/v1/remittances/{remittance}", {}),
        ("get", "/v1/workqueue?include_resolved=true", {}),
        ("get", "/v1/transmissions", {}),
        ("get", "/v1/received-files", {}),
        ("get", "/v1/reports/aging", {}),
        (
            "post",
            "/v1/claims",
            {"json": _claim(pcn="WALK02"), "headers": {"Idempotency-Key": "walk-2"}},
        ),
        (
            "post",
            "/v1/claims",
            {"json": _claim(pcn="WALK02"), "headers": {"Idempotency-Key": "walk-2"}},
        ),  # replayed
        ("post", "/v1/claims/validate", {"json": _claim("01_filling_amalgam_mod")}),
        (
            "post",
            "/v1/claims/submit",
            {"json": {"claim_ids": [fresh]}, "headers": {"Idempotency-Key": "walk-s"}},
        ),
        ("post", f"/v1/claims/{numbered}/replace", {"json": _corrected("WALK03")}),
        ("post", "/v1/estimates", {"json": {"benefits": benefits["benefits"][0], "plan": plan}}),
        (
            "post",
            f"/v1/claims/{world.ready}/estimate",
            {"json": {"benefits": benefits["benefits"][0]}},
        ),
        ("get", "/v1/claims/999999", {}),
        ("get", "/healthz", {}),
        ("get", "/readyz", {}),
    ]
    statuses = []
    for method, url, options in calls:
        response = api.request(method, url, headers=a | options.pop("headers", {}), **options)
        statuses.append(response.status_code)
        body = _no_floats(response.text)
        schema = _answer_schema(document, method, url, response.status_code)
        errors = [
            f"{e.instance_path}: {e.message}"
            for e in _validator(document, schema).iter_errors(body)
        ]
        assert errors == [], (method, url, errors[:5])
        for value in re.findall(r'"(\d{4}-\d\d-\d\dT[^"]+)"', response.text):
            assert OFFSET.search(value), (url, value)
    replacement = _ok(api.get(f"/v1/claims/{numbered}", headers=a))["superseded_by_id"]
    voided = _ok(api.post(f"/v1/claims/{replacement}/void", headers=a))
    assert (voided["frequency"], voided["total_charge"]) == ("8", "1530.00")
    assert statuses.count(404) == 1


# --------------------------------------------------------------------------- problems


def test_problems_have_a_type_per_kind_and_edit_ids_as_a_field(world: World):
    api, a = world.api, world.a
    bad_tooth = _claim(pcn="EDIT01")
    bad_tooth["lines"][0]["teeth"] = [{"tooth": "33"}]
    body = _problem(api.post("/v1/claims", json=bad_tooth, headers=a), 422, "claim-edit-failed")
    (failure,) = [e for e in body["errors"] if e["path"].startswith("lines.0.teeth")]
    assert re.fullmatch(r"E0\d\d", failure["edit"])
    assert failure["message"].startswith(f"{failure['edit']}: ")
    _problem(api.get("/v1/claims"), 401, "unauthorized")
    readonly = {
        "Authorization": "Bearer "
        + create_key(
            world.gateway.database,
            practice=PRACTICE_A,
            scopes="claims:read",
            name="ro",
            keyring=world.gateway.keyring,
            now=START,
        ).token
    }
    _problem(
        api.post("/v1/claims/submit", json={"claim_ids": [1]}, headers=readonly), 403, "forbidden"
    )
    _problem(api.get("/v1/claims/999999", headers=a), 404, "not-found")
    _problem(api.get("/v1/claims", params={"state": "lost"}, headers=a), 422, "invalid-input")
    _problem(
        api.post(
            "/v1/claims",
            content=b'{"patient_control_number": ',
            headers=a | {"content-type": "application/json"},
        ),
        400,
        "malformed-json",
    )
    key = {"Idempotency-Key": "problems-1"}
    _ok(api.post("/v1/claims", json=_claim(pcn="IDEM01"), headers=a | key))
    _problem(
        api.post("/v1/claims", json=_claim(pcn="IDEM02"), headers=a | key),
        422,
        "idempotency-key-reused",
    )


def test_conflicts_are_409(world: World):
    api, a = world.api, world.a
    first = _ok(api.post("/v1/claims", json=_claim(pcn="CONF01"), headers=a))
    other = _claim(pcn="CONF01")
    other["note"] = "a different claim under the same number"
    body = _problem(api.post("/v1/claims", json=other, headers=a), 409, "conflict")
    assert "already imported" in body["detail"]
    assert "different content" in body["detail"]
    assert _ok(api.get(f"/v1/claims/{first['id']}", headers=a))["claim"].get("note") is None
    superseded = _numbered(world, "CONF02")
    _ok(api.post(f"/v1/claims/{superseded}/replace", json=_corrected("CONF02"), headers=a))
    body = _problem(api.post(f"/v1/claims/{superseded}/void", headers=a), 409, "conflict")
    assert "already superseded" in body["detail"]
    item = _ok(api.get("/v1/workqueue", headers=a))["items"][0]["id"]
    _ok(api.post(f"/v1/workqueue/{item}/resolve", json={"note": "done"}, headers=a))
    _problem(
        api.post(f"/v1/workqueue/{item}/resolve", json={"note": "again"}, headers=a),
        409,
        "conflict",
    )


def test_bodies_that_are_not_json_get_415(world: World):
    api, a = world.api, world.a
    text = json.dumps(_claim(pcn="MEDIA01"))
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = a | ({"content-type": content_type} if content_type else {})
        response = api.post("/v1/claims", content=text.encode(), headers=headers)
        body = _problem(response, 415, "unsupported-media-type")
        assert "application/json" in body["detail"]
    assert (
        api.get("/v1/claims", params={"patient_control_number": "MEDIA01"}, headers=a).json()[
            "total"
        ]
        == 0
    )
    charset = api.post(
        "/v1/claims",
        content=text.encode(),
        headers=a | {"content-type": "application/json; charset=utf-8"},
    )
    assert charset.status_code == 201, charset.text
    _problem(
        api.post(
            "/v1/workqueue/1/resolve",
            content=b"note=done",
            headers=a | {"content-type": "text/plain"},
        ),
        415,
        "unsupported-media-type",
    )


# --------------------------------------------------------------------------- bodies


def test_replace_takes_the_bare_claim_and_still_the_wrapped_one_deprecated(world: World):
    api, a = world.api, world.a
    original = _numbered(world, "REPL01")
    bare = api.post(f"/v1/claims/{original}/replace", json=_corrected("REPL01"), headers=a)
    assert bare.status_code == 201, bare.text
    assert "Deprecation" not in bare.headers
    assert (bare.json()["frequency"], bare.json()["total_charge"]) == ("7", "1530.00")
    corrected = _corrected("REPL01", "270.00")
    wrapped = api.post(
        f"/v1/claims/{bare.json()['id']}/replace", json={"claim": corrected}, headers=a
    )
    assert wrapped.status_code == 201, wrapped.text
    assert re.fullmatch(r"@\d+", wrapped.headers["Deprecation"])
    corrected["lines"][0]["procedure_code"] = "X9999"
    body = _problem(
        api.post(f"/v1/claims/{wrapped.json()['id']}/replace", json=corrected, headers=a),
        422,
        "claim-edit-failed",
    )
    assert [e["path"] for e in body["errors"]] == ["lines.0.procedure_code"]


# --------------------------------------------------------------------------- reads


def test_claim_and_remittance_reads_carry_an_etag(world: World):
    api, a = world.api, world.a
    remittance = _ok(api.get("/v1/remittances", headers=a))["items"][0]["id"]
    for url in (f"/v1/claims/{world.ready}", f"/v1/remittances/{remittance}"):
        first = api.get(url, headers=a)
        tag = first.headers["ETag"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', tag)
        for sent in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            again = api.get(url, headers=a | {"If-None-Match": sent})
            assert (again.status_code, again.content) == (304, b""), sent
            assert again.headers["ETag"] == tag
        changed = api.get(url, headers=a | {"If-None-Match": '"0123"'})
        assert (changed.status_code, changed.json()) == (200, first.json())
    fresh = _ok(api.post("/v1/claims", json=_claim(pcn="ETAG01"), headers=a))["id"]
    before = api.get(f"/v1/claims/{fresh}", headers=a).headers["ETag"]
    world.clock.tick()
    _ok(api.post("/v1/claims/submit", json={"claim_ids": [fresh]}, headers=a))
    after = api.get(f"/v1/claims/{fresh}", headers=a | {"If-None-Match": before})
    assert after.status_code == 200
    assert after.json()["state"] == "queued"
    assert after.headers["ETag"] != before


def _since(moment: datetime) -> str:
    """A gateway time (naive local) as a caller sends it: RFC 3339 in UTC."""
    return moment.astimezone(UTC).isoformat()


def test_lists_take_updated_since(world: World):
    api, a, clock = world.api, world.a, world.clock
    mark = clock.tick(60)
    changed = _ok(api.post("/v1/claims", json=_claim(pcn="SINCE01"), headers=a))["id"]
    claims = _ok(api.get("/v1/claims", params={"updated_since": _since(mark)}, headers=a))
    assert [c["id"] for c in claims["items"]] == [changed]
    everything = _ok(api.get("/v1/claims", params={"updated_since": _since(START)}, headers=a))
    assert {world.paid, world.ready, changed} <= {c["id"] for c in everything["items"]}
    assert (
        _ok(api.get("/v1/remittances", params={"updated_since": _since(mark)}, headers=a))["items"]
        == []
    )
    assert (
        _ok(api.get("/v1/remittances", params={"updated_since": _since(START)}, headers=a))["total"]
        >= 1
    )
    item = _ok(api.get("/v1/workqueue", headers=a))["items"][-1]["id"]
    _ok(api.post(f"/v1/workqueue/{item}/resolve", json={"note": "since"}, headers=a))
    since = _ok(
        api.get(
            "/v1/workqueue",
            params={"updated_since": _since(mark), "include_resolved": True},
            headers=a,
        )
    )
    assert [i["id"] for i in since["items"]] == [item]
    body = _problem(
        api.get("/v1/claims", params={"updated_since": "2026-11-23T09:00:00"}, headers=a),
        422,
        "invalid-input",
    )
    assert body["errors"][0]["path"] == "query.updated_since"


def test_remittances_filter_by_claim_payer_dates_and_trace_number(world: World):
    api, a = world.api, world.a
    (payment,) = _ok(api.get("/v1/remittances", params={"claim_id": world.paid}, headers=a))[
        "items"
    ]
    day = datetime.fromisoformat(payment["payment_date"]).date()

    def found(**params: Any) -> list[int]:
        return [r["id"] for r in _ok(api.get("/v1/remittances", params=params, headers=a))["items"]]

    assert found(claim_id=world.ready) == []
    assert found(trace_number=payment["trace_number"]) == [payment["id"]]
    assert found(trace_number="NO-SUCH-TRACE") == []
    assert payment["id"] in found(payer_id=payment["payer_id"])
    assert found(payer_id="NOSUCHPAYER") == []
    assert payment["id"] in found(paid_from=day.isoformat(), paid_to=day.isoformat())
    assert found(paid_from=(day + timedelta(days=1)).isoformat()) == []
    assert found(paid_to=(day - timedelta(days=1)).isoformat()) == []
    assert found(
        claim_id=world.paid, trace_number=payment["trace_number"], payer_id=payment["payer_id"]
    ) == [payment["id"]]
    assert (
        _ok(api.get("/v1/remittances", params={"claim_id": world.paid}, headers=world.b))["items"]
        == []
    )


def test_received_files_list_the_835s_that_carried_the_practice_payments(world: World):
    api = world.api
    payments = [r["id"] for r in _ok(api.get("/v1/remittances", headers=world.a))["items"]]
    files = _ok(api.get("/v1/received-files", headers=world.a))
    assert files["total"] == len(files["items"]) >= 1
    assert {f["kind"] for f in files["items"]} == {"835"}
    assert {f["status"] for f in files["items"]} == {"processed"}
    carried = sorted(i for f in files["items"] for i in f["remittance_ids"])
    assert carried == sorted(payments)
    assert all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) for f in files["items"])
    assert "problem" not in files["items"][0]
    assert _ok(api.get("/v1/received-files", headers=world.b))["items"] == []


# --------------------------------------------------------------------------- health


def test_health_and_readiness_answer_without_credentials_or_detail(world: World):
    api = world.api
    assert (api.get("/healthz").status_code, api.get("/healthz").json()) == (200, {"status": "ok"})
    ready = api.get("/readyz")
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ready", "checks": {"database": "ok", "keys": "ok"}},
    )
    with tempfile.TemporaryDirectory() as folder:
        nowhere = "postgresql+psycopg://edigateway:secret@127.0.0.1:1/edigateway"
        broken = bootstrap(
            Settings(data_dir=Path(folder), database_url=nowhere, mappings_dir=REPO / "mappings"),
            clock=world.clock,
        )
        with TestClient(create_app(broken), base_url="http://127.0.0.1") as client:
            assert client.get("/healthz").status_code == 200
            answer = client.get("/readyz")
    assert (answer.status_code, answer.json()) == (
        503,
        {"status": "not_ready", "checks": {"database": "failed", "keys": "ok"}},
    )
    assert "127.0.0.1" not in answer.text
    assert "secret" not in answer.text


def test_the_container_health_checks_probe_healthz():
    """The image's and compose's health checks ask /healthz (was the OpenAPI document,
    which builds a 250 kB answer on a cold process)."""
    for name in ("Dockerfile", "compose.yml"):
        text = (REPO / "deploy" / name).read_text()
        assert "http://127.0.0.1:8000/healthz" in text, name
        assert "openapi.json" not in text, name
