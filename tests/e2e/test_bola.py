"""Broken object-level authorization, route by route (issue 12: "BOLA 211/211 routes
refused"): with practice B's credentials no route of the app — API ``/v1`` and dashboard
``/ui``, every method — reveals or changes practice A's records, and without credentials
every route but the few public ones is refused.

The routes are enumerated from the app itself, so a new route is walked as soon as it
exists; a path parameter, a request body or a list the walk cannot fill fails the test
until it is taught here. Practice A holds at least one record of every kind a route
addresses by ID (claims — paid, denied, ready with an estimate kept, superseded and its
replacement —, remittances, open and resolved work items), transmissions, a payer named its
own way and a live UI session; B holds records of its own, so its lists are not empty by
accident.

For every request B makes, the test asserts:

* a route that addresses a record answers for A's ID exactly what it answers for an ID that
  does not exist (404: "another practice's record is not found"), and its status is one of
  401/403/404/405/422;
* a list, page or action of B answers 2xx/3xx (its own data) but holds none of A's IDs of
  that kind and none of A's text (patient names, member IDs, dates of birth, claim numbers,
  amounts, trace numbers, file names, notes);
* after the walk every row of A (every table) is as it was: only rows of B changed.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Table, select
from starlette.routing import Mount

from edigateway.api.app import create_app
from edigateway.bootstrap import Gateway, bootstrap
from edigateway.persistence.tables import Base, ClaimRow, Practice, RemittanceClaimRow
from edigateway.services.access import create_key
from edigateway.services.inbound import poll_inbound
from edigateway.services.outbox import drain_outbox
from edigateway.services.webhooks import deliver_due
from edigateway.settings import Settings
from edigateway.sim.runner import Simulator
from edigateway.x12.validation import Validator
from tests.factories import NOW, REPO, USER_PASSWORD, form_field, signed_in, ui_user

BASE = "http://127.0.0.1"  # a trusted host by default
PRACTICE_A = "1456789019"  # MAPLE STREET DENTAL, the fixtures' billing provider
PRACTICE_B = "1234567893"
SHARED_KEY = "bola-same-key"
"""An Idempotency-Key both practices send: B must never get A's stored answer."""
MISSING = 2**31 - 1
"""An ID no record has (the largest a route accepts)."""

KINDS = {
    "claim_id": "claim",
    "remittance_id": "remittance",
    "item_id": "work_item",
    "webhook_id": "webhook",
    "delivery_id": "delivery",
    "verification_id": "verification",
    "payer_id": "payer",
    "transmission_id": "submission",
    "file_id": "received_file",
    "user_id": "user",
    "attachment_id": "attachment",
    "appeal_id": "appeal",
    "payment_id": "claim_payment",
}
"""Path parameter → the kind of A's record it names. Of a route with several, the last
names the record and those before it its parents (``/webhooks/{webhook_id}/deliveries/
{delivery_id}``); every kind has a factory in :data:`FACTORIES`."""
NAMESPACES = {"payer"}
"""Kinds that name no record of A's but a part of each practice's own data (a fee schedule
per payer): B naming A's payer reaches B's own schedule, exactly as for a payer nobody uses
(so 200 is allowed, and must look like the answer for the missing value)."""
OWN_BY_ID = {
    ("PUT", "/v1/payers/{payer_id}/era-policy"),
    ("PUT", "/v1/payers/{payer_id}/filing-limits"),
    ("POST", "/ui/payers/{payer_id}/filing-limits"),
}
"""Routes where a payer ID names B's own payer when B has one by that ID (B's DDPIL, not
A's): 200 with B's own data, where a payer B does not know is 404. Their answers are still
checked for A's data, and A's rows for changes."""
MISSING_VALUES: dict[str, int | str] = {"payer_id": "NOSUCHPAYER9"}
"""What a path parameter holds for "no such record" when not :data:`MISSING`."""
BODY_IDS: dict[tuple[str, str], Callable[[int], dict[str, Any]]] = {
    ("POST", "/v1/claims/submit"): lambda claim: {"claim_ids": [claim]},
    ("POST", "/v1/claim-status"): lambda claim: {"claim_id": claim},
}
"""Routes that name a claim in their body rather than their path → B's body naming it."""
LISTS = {
    "/v1/claims": ("claim", "id"),
    "/v1/remittances": ("remittance", "id"),
    "/v1/workqueue": ("work_item", "id"),
    "/v1/transmissions": ("submission", "id"),
    "/v1/received-files": ("received_file", "id"),
    "/v1/webhooks": ("webhook", "id"),
    "/v1/events": ("event", "id"),
    "/v1/eligibility/verifications": ("verification", "id"),
    "/v1/visits/verification-queue": ("visit", "visit_id"),
    "/v1/users": ("user", "id"),
}
"""List routes → the kind of record their items are and the field holding its ID (none
may be A's)."""
LINKS = {"claims": "claim", "eras": "remittance", "workqueue": "work_item", "appeals": "appeal"}
"""Dashboard links ``/ui/<part>/<id>`` → the kind of record they open."""
HEALTH = {"/healthz", "/readyz"}
"""Probes for orchestrators, outside /v1: public, and they show no practice's data."""
PUBLIC = {
    ("GET", "/v1/openapi.json"),
    ("HEAD", "/v1/openapi.json"),
    ("GET", "/v1/docs"),
    ("GET", "/ui"),
    ("GET", "/ui/login"),
    ("POST", "/ui/login"),
    ("POST", "/ui/login/code"),
    ("GET", "/ui/set-password"),
    ("POST", "/ui/set-password"),
    *(("GET", path) for path in HEALTH),
}
"""Routes that answer without credentials (they hold no practice's data)."""
STATIC = {"/ui/static", "/v1/docs/assets"}
"""Mounted folders of packaged files (CSS, Swagger UI), no practice data."""
REFUSED = frozenset({401, 403, 404, 405, 422})
SHARED = {"control_counters"}
"""Tables of the gateway itself, not of a practice: its ISA13 counter moves with B's 270s."""
A_HOOK = "http://127.0.0.1:9/a-hook"
"""A's webhook receiver: the discard port, where nothing listens, so its deliveries fail
and stay in the log (no request leaves the loopback)."""


# --------------------------------------------------------------------------- the two practices


def _fixture(name: str) -> dict[str, Any]:
    document = json.loads((REPO / f"fixtures/claims/{name}.json").read_text())
    claim: dict[str, Any] = document["claims"][0] if "claims" in document else document
    return claim


def _a_claim(name: str) -> dict[str, Any]:
    """A claim of A's (the fixtures' practice), naming its payer its own way (B must not see
    the name another practice sent)."""
    claim = _fixture(name)
    claim["payer"]["name"] = "PRAIRIE DENTAL PLAN MAPLE ST"
    return claim


def _b_claim(npi: str = PRACTICE_B) -> dict[str, Any]:
    """A claim of B's own: names, numbers and amounts A's records do not have."""
    claim = _fixture("03_extraction_simple")
    claim["patient_control_number"] = "BRD3003"
    claim["billing_provider"].update(npi=npi, organization_name="BIRCH ROAD DENTAL")
    claim["subscriber"].update(
        name={"last_name": "BIRCHWOOD", "first_name": "CASEY"},
        member_id="PPOBRD777001",
        date_of_birth="1971-02-03",
    )
    for line, charge in zip(claim["lines"], ("81.17", "43.29", "199.31"), strict=True):
        line["charge"] = charge
    claim["total_charge"] = "323.77"
    return claim


def _inquiry(npi: str) -> dict[str, Any]:
    """An eligibility inquiry of practice ``npi`` for a patient of its own claims (A's:
    the crown patient; the fixture's own patient is the API documentation's example)."""
    inquiry: dict[str, Any] = json.loads(
        (REPO / "fixtures/inquiries/01_subscriber_all_dental.json").read_text()
    )
    inquiry["provider"]["npi"] = npi
    subscriber = _a_claim("05_crown_initial")["subscriber"]
    if npi == PRACTICE_B:
        inquiry["provider"]["organization_name"] = "BIRCH ROAD DENTAL"
        subscriber = _b_claim()["subscriber"]
    inquiry["subscriber"].update({k: subscriber[k] for k in inquiry["subscriber"]})
    return inquiry


@dataclass
class World:
    """The app with A's and B's records, and what the walk needs to know about A's."""

    gateway: Gateway
    app: FastAPI
    api: TestClient
    a: dict[str, str]
    b: dict[str, str]
    b_user: str
    b_practice: int
    b_benefits: dict[str, Any]
    ids: dict[str, list[Any]] = field(default_factory=dict)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """A's records by kind, each as the path parameters that name it (its parents' too)."""
    b_records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """B's own records of a parent kind, to name A's child under B's parent."""
    secrets: set[str] = field(default_factory=set)
    amounts: set[str] = field(default_factory=set)
    claim_numbers: set[str] = field(default_factory=set)
    trace_numbers: set[str] = field(default_factory=set)
    member_ids: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("bola")
    validator = Validator(REPO / "mappings", folder / "cache")
    settings = Settings(
        data_dir=folder / "var",
        mappings_dir=REPO / "mappings",
        webhooks_allow_private_urls=True,
        webhooks_deliver_in_api=False,
    )
    with Simulator(
        settings, validator=validator, clock=lambda: NOW, sftp_port=0, http_port=0
    ) as sim:
        gateway = bootstrap(
            settings.model_copy(update=sim.client_settings()),
            clock=lambda: NOW,
            validator=validator,
        )
        tokens = {
            npi: create_key(
                gateway.database,
                practice=npi,
                scopes="admin",
                name="bola",
                keyring=gateway.keyring,
                now=NOW,
                create_name=f"P{npi}",
            ).token
            for npi in (PRACTICE_A, PRACTICE_B)
        }
        a, b = ({"Authorization": f"Bearer {tokens[npi]}"} for npi in (PRACTICE_A, PRACTICE_B))
        app = create_app(gateway)
        with TestClient(app, base_url=BASE) as api:
            emails = {npi: ui_user(gateway.database, npi=npi) for npi in (PRACTICE_A, PRACTICE_B)}
            yield _populate(gateway, sim, app, api, a, b, emails)
        gateway.database.dispose()


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


def _populate(
    gateway: Gateway,
    sim: Simulator,
    app: FastAPI,
    api: TestClient,
    a: dict[str, str],
    b: dict[str, str],
    emails: dict[str, str],
) -> World:
    """A: two claims sent and answered (remittance, transmission, work items) — one paid,
    then replaced, one with a denied line —, a third left ready with an estimate kept, one
    work item resolved, a signed-in dashboard session, webhooks registered before all that
    (one deleted; the live one's deliveries failed once); then every kind of
    :data:`FACTORIES`. B: a claim and a webhook of its own through the same exchange."""
    hooks = _ok(api.post("/v1/webhooks", json={"url": A_HOOK}, headers=a))["id"]
    gone = _ok(api.post("/v1/webhooks", json={"url": A_HOOK + "/old"}, headers=a))["id"]
    assert api.delete(f"/v1/webhooks/{gone}", headers=a).status_code == 204
    b_hook = _ok(api.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/b"}, headers=b))
    paid = _ok(
        api.post(
            "/v1/claims",
            json=_a_claim("05_crown_initial"),
            headers=a | {"Idempotency-Key": SHARED_KEY},
        )
    )["id"]
    denied = _ok(
        api.post("/v1/claims", json=_a_claim("23_perio_maintenance_and_night_guard"), headers=a)
    )["id"]  # the night guard is not covered: a denial
    ready = _ok(api.post("/v1/claims", json=_a_claim("16_spouse_dependent"), headers=a))["id"]
    own = _ok(api.post("/v1/claims", json=_b_claim(), headers=b))["id"]
    _ok(api.post("/v1/claims/submit", json={"claim_ids": [paid, denied]}, headers=a))
    _ok(api.post("/v1/claims/submit", json={"claim_ids": [own]}, headers=b))
    profile = gateway.profile()
    with gateway.sftp_transport(profile) as transport:
        drain_outbox(gateway.database, transport, clearinghouse=profile.name, now=NOW)
        sim.cycle()
        poll_inbound(
            gateway.database, transport, clearinghouse=profile.name, codes=gateway.codes, now=NOW
        )
    # B's payment arrived (posted, or held for review by the payer's ERA policy)
    assert _ok(api.get("/v1/remittances", params={"claim_id": own}, headers=b))["total"] == 1
    benefits = {
        npi: _ok(api.post("/v1/eligibility", json={"inquiry": _inquiry(npi)}, headers=headers))[
            "benefits"
        ][0]
        for npi, headers in ((PRACTICE_A, a), (PRACTICE_B, b))
    }
    _ok(
        api.post(f"/v1/claims/{ready}/estimate", json={"benefits": benefits[PRACTICE_A]}, headers=a)
    )
    corrected = _a_claim("05_crown_initial")
    corrected["lines"][1]["charge"], corrected["total_charge"] = "280.00", "1530.00"
    replacement = _ok(api.post(f"/v1/claims/{paid}/replace", json={"claim": corrected}, headers=a))[
        "id"
    ]
    items = _ok(api.get("/v1/workqueue", headers=a))["items"]
    assert len(items) >= 2, "the simulator's 835 leaves A work items to resolve"
    _ok(
        api.post(
            f"/v1/workqueue/{items[0]['id']}/resolve", json={"note": "A-ONLY NOTE 7731"}, headers=a
        )
    )
    signed_in(TestClient(app, base_url=BASE), emails[PRACTICE_A])

    with gateway.database.transaction() as session:
        b_practice = session.scalar(select(Practice.id).where(Practice.npi == PRACTICE_B))
    assert b_practice is not None
    world = World(gateway, app, api, a, b, emails[PRACTICE_B], b_practice, benefits[PRACTICE_B])
    world.ids["claim"] = [paid, denied, ready, replacement]
    world.ids["webhook"] = [hooks, gone]
    world.b_records["webhook"] = [{"webhook_id": b_hook["id"]}]
    deliver_due(gateway.database, sender=gateway.webhook_sender, clock=lambda: NOW)
    for kind, make in FACTORIES.items():
        world.records[kind] = make(world)
        key = PARAM_OF.get(kind, "id")
        world.ids[kind] = [r[key] for r in world.records[kind]]
    assert all(world.ids.values()), world.ids
    _learn_secrets(world)
    return world


# --------------------------------------------------------------------------- A's records


def _listed(
    path: str, param: str, field_name: str = "id", **params: Any
) -> Callable[[World], list[dict[str, Any]]]:
    """A factory reading A's records of a kind from A's own list."""

    def read(world: World) -> list[dict[str, Any]]:
        items = _ok(world.api.get(path, params=params, headers=world.a))["items"]
        return [{param: i[field_name]} for i in items]

    return read


def _deliveries(world: World) -> list[dict[str, Any]]:
    """The deliveries of A's live webhook (its receiver never answers: they failed once)."""
    hook = world.ids["webhook"][0]
    items = _ok(world.api.get(f"/v1/webhooks/{hook}/deliveries", headers=world.a))["items"]
    return [{"webhook_id": hook, "delivery_id": d["id"]} for d in items]


def _fee_schedule(world: World) -> list[dict[str, Any]]:
    """A's fee schedule with its payer, with a fee and a description only A has."""
    _ok(
        world.api.put(
            "/v1/fee-schedules/DDPIL",
            headers=world.a,
            json={
                "entries": [
                    {"procedure_code": "D2740", "fee": "1234.57", "description": "A-ONLY CROWN FEE"}
                ]
            },
        )
    )
    world.secrets.add("A-ONLY CROWN FEE")
    world.amounts.add("1234.57")
    return [{"payer_id": "DDPIL"}]


def _visit(npi: str, external_id: str) -> dict[str, Any]:
    """An upcoming visit of practice ``npi``'s patient (the one its inquiry names)."""
    inquiry = _inquiry(npi)
    return {
        "external_id": external_id,
        "visit_date": (NOW + timedelta(days=3)).date().isoformat(),
        "payer": inquiry["payer"],
        "subscriber": inquiry["subscriber"],
        "procedures": ["D1110"],
    }


def _visits(world: World) -> list[dict[str, Any]]:
    saved = _ok(
        world.api.post(
            "/v1/visits", json={"visits": [_visit(PRACTICE_A, "A-APPT-1")]}, headers=world.a
        )
    )["visits"]
    world.secrets.add("A-APPT-1")
    return [{"id": v["id"]} for v in saved]


def _users(world: World) -> list[dict[str, Any]]:
    """A's dashboard users: the one signed in and one made through A's API."""
    _ok(
        world.api.post(
            "/v1/users",
            json={"email": "a-only.user@maple.example", "role": "viewer"},
            headers=world.a,
        )
    )
    world.secrets.add("a-only.user@maple.example")
    return [{"user_id": u["id"]} for u in _ok(world.api.get("/v1/users", headers=world.a))["items"]]


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00A-ONLY-RADIOGRAPH\xff\xd9"


def _attachments(world: World) -> list[dict[str, Any]]:
    """A radiograph attached to A's ready claim, under a file name only A has."""
    claim = world.ids["claim"][2]
    made = _ok(
        world.api.post(
            f"/v1/claims/{claim}/attachments",
            headers=world.a,
            files={"file": ("A-ONLY-XRAY.jpg", JPEG, "image/jpeg")},
            data={"report_type": "RB"},
        )
    )
    world.secrets.add("A-ONLY-XRAY")
    return [{"attachment_id": made["id"]}]


def _appeals(world: World) -> list[dict[str, Any]]:
    """An appeal of A's claim with the denied line, under a narrative only A wrote."""
    claim = world.ids["claim"][1]
    made = _ok(
        world.api.post(
            f"/v1/claims/{claim}/appeals",
            headers=world.a,
            json={"reason": "not_covered", "narrative": "A-ONLY APPEAL 5521"},
        )
    )
    world.secrets.add("A-ONLY APPEAL 5521")
    return [{"appeal_id": made["id"]}]


def _claim_payments(world: World) -> list[dict[str, Any]]:
    """A's claim payments (835 CLPs), posted or not, with their claim (the dashboard
    decides them on the claim's page): B must not approve or dismiss one."""
    with world.gateway.database.transaction() as session:
        return [
            {"payment_id": i, "claim_id": c}
            for i, c in session.execute(
                select(RemittanceClaimRow.id, RemittanceClaimRow.claim_id)
                .join(ClaimRow, ClaimRow.id == RemittanceClaimRow.claim_id)
                .where(ClaimRow.practice_id != world.b_practice)
            )
        ]


FACTORIES: dict[str, Callable[[World], list[dict[str, Any]]]] = {
    "claim": lambda world: [{"claim_id": i} for i in world.ids["claim"]],
    "remittance": _listed("/v1/remittances", "remittance_id"),
    "work_item": _listed("/v1/workqueue", "item_id", include_resolved=True),
    "submission": _listed("/v1/transmissions", "transmission_id"),
    "received_file": _listed("/v1/received-files", "file_id"),
    "webhook": lambda world: [{"webhook_id": i} for i in world.ids["webhook"]],
    "delivery": _deliveries,
    "verification": _listed("/v1/eligibility/verifications", "verification_id"),
    "payer": _fee_schedule,
    "visit": _visits,
    "event": _listed("/v1/events", "id"),
    "user": _users,
    "attachment": _attachments,
    "appeal": _appeals,
    "claim_payment": _claim_payments,
}
"""Every kind of A's record a route names or a list shows → how the walk gets A's records
of it (made through A's own API, or read from A's lists): a kind without one fails the
walk."""
PARAM_OF = {kind: param for param, kind in KINDS.items()}


def _learn_secrets(world: World) -> None:
    """Text only A's records hold, read through A's own eyes."""
    api, a, ids = world.api, world.a, world.ids
    secrets = {"MAPLE", "A-ONLY NOTE 7731"}  # A's name, address and payer's name; its note
    inquiry = _inquiry(PRACTICE_A)["subscriber"]  # A's eligibility check's patient
    secrets |= {inquiry["name"]["last_name"], inquiry["member_id"], A_HOOK}
    world.member_ids.add(inquiry["member_id"])
    for claim_id in ids["claim"]:
        detail = _ok(api.get(f"/v1/claims/{claim_id}", headers=a))
        document = detail["claim"]
        people = [document["subscriber"], document.get("patient") or {}]
        world.claim_numbers.add(detail["patient_control_number"])
        world.member_ids.add(document["subscriber"]["member_id"])
        secrets |= {detail["patient_control_number"], document["subscriber"]["member_id"]}
        world.amounts.add(document["total_charge"])
        secrets |= {person["name"]["last_name"] for person in people if person}
        secrets |= {person["date_of_birth"] for person in people if person.get("date_of_birth")}
        if detail["payer_claim_control_number"]:
            secrets.add(detail["payer_claim_control_number"])
    for remittance_id in ids["remittance"]:
        remittance = _ok(api.get(f"/v1/remittances/{remittance_id}", headers=a))
        secrets.add(remittance["trace_number"])
        world.trace_numbers.add(remittance["trace_number"])
        world.amounts.add(str(remittance["payment_amount"]))
    for transmission in _ok(api.get("/v1/transmissions", headers=a))["items"]:
        secrets.add(transmission["file_name"])
    assert "PLAN MAPLE ST" in api.get("/v1/reports/aging", headers=a).text  # A's payer name
    # the API's examples borrow the fixtures' people: public text, nobody's secret
    documented = api.get("/v1/openapi.json").text
    world.secrets |= {s for s in secrets if s not in documented}


def _shown(world: World, text: str) -> list[str]:
    """A's text and amounts in ``text`` (an amount also as a JSON number: 1540.0)."""
    found = [s for s in world.secrets if s in text]
    for amount in world.amounts:
        whole, cents = amount.split(".")
        short = f"{cents[0]}(?:0)?" if cents[1] == "0" else cents
        if re.search(rf"(?<![\d.]){whole}\.{short}(?!\d)", text):
            found.append(amount)
    return found


# --------------------------------------------------------------------------- sessions


def _b_browser(world: World) -> tuple[TestClient, str]:
    """A browser signed in as B (a fresh session for each request: one of them signs
    out), and the CSRF token of its forms."""
    client = TestClient(world.app, base_url=BASE)
    signed_in(client, world.b_user)
    return client, form_field(client.get("/ui/claims").text, "csrf")


# --------------------------------------------------------------------------- the routes


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # "/v1/claims/{claim_id}"
    params: tuple[str, ...]


def _routes(app: FastAPI) -> list[Route]:
    """Every route of the app under /v1 and /ui, one per method (FastAPI ≥ 0.16x keeps
    included routers as such: ``iter_route_contexts`` flattens them)."""
    routes: list[Route] = []
    for context in iter_route_contexts(app.routes):
        path = context.path_format
        assert path is not None, context
        if isinstance(context.original_route, Mount):
            assert path.removesuffix("/{path}") in STATIC, f"unknown mount {path}"
            continue
        assert path.startswith(("/v1", "/ui")) or path in HEALTH, (
            f"a route outside /v1 and /ui: {path}"
        )
        params = tuple(context.param_convertors)
        routes.extend(Route(method, path, params) for method in sorted(context.methods or ()))
    return routes


@dataclass
class Call:
    """One request of the walk."""

    route: Route
    url: str
    kind: str | None = None  # the kind of A's record the URL or body names, if any
    record: dict[str, Any] | None = None  # its path parameters (or the ID in the body)
    options: dict[str, Any] = field(default_factory=dict)
    allowed: frozenset[int] = REFUSED
    missing: bool = False  # names no record: what A's records must look like
    reference: dict[str, Any] | None = None  # the missing record to compare with


def _calls(world: World, route: Route) -> list[Call]:
    """The requests B makes on ``route``: for each A record it can name — under A's parent
    record and under B's own (B's webhook, A's delivery) — and a missing one to compare
    with, or its list or page with A's values as filters, or its action with a
    well-formed body of B's; a parameter or body the walk cannot fill fails."""
    unknown = [p for p in route.params if p not in KINDS]
    if unknown:
        pytest.fail(
            f"{route.method} {route.template}: no A record for {unknown}; map it "
            "in KINDS and give its kind a factory in FACTORIES"
        )
    if route.params:
        kind = KINDS[route.params[-1]]
        body = _record_body(world, route)
        # B's own payer of that ID: 200, or a form's redirect back to B's page
        own = {200, 303} if route.template.startswith("/ui/") else {200}
        allowed = REFUSED | own if kind in NAMESPACES else REFUSED
        missing = {p: MISSING_VALUES.get(p, MISSING) for p in route.params}
        leaf = route.params[-1]
        b_parents = [
            own for parent in route.params[:-1] for own in world.b_records.get(KINDS[parent], [])
        ]
        calls = [
            Call(
                route,
                route.template.format(**record),
                kind,
                record,
                body,
                allowed,
                reference=missing,
            )
            for record in world.records[kind]
        ]
        calls += [
            Call(
                route,
                route.template.format(**(record | own)),
                kind,
                record | own,
                body,
                allowed,
                reference=missing | own,
            )
            for own in b_parents
            for record in world.records[kind]
        ]
        references = [missing, *(missing | own for own in b_parents)]
        return calls + [
            Call(
                route,
                route.template.format(**reference),
                kind,
                reference,
                body,
                allowed,
                missing=True,
            )
            for reference in references
            if reference[leaf] == missing[leaf]
        ]
    if (route.method, route.template) in BODY_IDS:  # the claim's ID in its body
        missing, naming = {"claim_id": MISSING}, BODY_IDS[route.method, route.template]
        return [
            Call(
                route,
                route.template,
                "claim",
                {"claim_id": record},
                {"json": naming(record)},
                missing=record == MISSING,
                reference=missing,
            )
            for record in [*world.ids["claim"], MISSING]
        ]
    return [
        Call(route, route.template, options=options, allowed=allowed)
        for options, allowed in _own(world, route)
    ]


def _record_body(world: World, route: Route) -> dict[str, Any]:
    """What B sends to a route that addresses a record: well-formed, so that only the
    record's owner can stop it."""
    if route.method in ("GET", "HEAD"):
        return {}
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/v1/claims/{claim_id}/replace"): {"json": {"claim": _b_claim()}},
        ("POST", "/v1/claims/{claim_id}/void"): {},
        ("PATCH", "/v1/claims/{claim_id}"): {"json": _b_claim()},
        ("POST", "/v1/claims/{claim_id}/cancel"): {"json": {"reason": "not mine"}},
        ("POST", "/v1/claims/{claim_id}/resubmit"): {"json": _b_claim()},
        ("POST", "/v1/claims/{claim_id}/estimate"): {"json": {"benefits": world.b_benefits}},
        ("POST", "/v1/claims/{claim_id}/secondary"): {},
        ("DELETE", "/v1/webhooks/{webhook_id}"): {},
        ("POST", "/v1/webhooks/{webhook_id}/enable"): {},
        ("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): {},
        ("PUT", "/v1/fee-schedules/{payer_id}"): {
            "json": {"entries": [{"procedure_code": "D2740", "fee": "11.11"}]}
        },
        ("POST", "/v1/workqueue/{item_id}/resolve"): {"json": {"note": "not mine"}},
        ("POST", "/ui/workqueue/{item_id}/resolve"): {"data": {"note": "not mine"}},
        ("POST", "/ui/claims/{claim_id}/replace"): {
            "data": {"code": ["D2740", "D2950"], "fee": ["1.00", "2.00"]}
        },
        ("POST", "/ui/claims/{claim_id}/void"): {"data": {"confirm": "yes"}},
        ("POST", "/ui/claims/{claim_id}/submit"): {},
        ("POST", "/ui/claims/{claim_id}/cancel"): {"data": {"reason": "not mine"}},
        ("POST", "/ui/claims/{claim_id}/secondary"): {},
        ("POST", "/ui/claims/{claim_id}/edit"): {
            "data": {"lines": "1", "code_0": "D2740", "fee_0": "1.00"}
        },
        ("POST", "/v1/users/{user_id}/disable"): {},
        ("POST", "/v1/users/{user_id}/password-link"): {},
        ("POST", "/ui/users/{user_id}/disable"): {},
        ("POST", "/ui/users/{user_id}/link"): {"data": {"clear_two_step": "yes"}},
        ("POST", "/v1/claims/{claim_id}/attachments"): {
            "files": {"file": ("b.jpg", JPEG, "image/jpeg")},
            "data": {"report_type": "RB"},
        },
        ("POST", "/ui/claims/{claim_id}/attachments"): {
            "files": {"file": ("b.jpg", JPEG, "image/jpeg")},
            "data": {"report_type": "RB"},
        },
        ("DELETE", "/v1/attachments/{attachment_id}"): {},
        ("POST", "/v1/claims/{claim_id}/appeals"): {
            "json": {"reason": "other", "narrative": "not mine"}
        },
        ("PATCH", "/v1/appeals/{appeal_id}"): {"json": {"follow_up_on": "2027-01-01"}},
        ("POST", "/v1/appeals/{appeal_id}/sent"): {"json": {"method": "fax"}},
        ("POST", "/v1/appeals/{appeal_id}/outcome"): {"json": {"outcome": "won"}},
        ("POST", "/ui/claims/{claim_id}/appeals"): {
            "data": {"reason": "other", "narrative": "not mine"}
        },
        ("POST", "/ui/appeals/{appeal_id}/edit"): {
            "data": {"reason": "other", "narrative": "not mine"}
        },
        ("POST", "/ui/appeals/{appeal_id}/sent"): {"data": {"method": "fax"}},
        ("POST", "/ui/appeals/{appeal_id}/follow-up"): {"data": {"follow_up_on": "2027-01-01"}},
        ("POST", "/ui/appeals/{appeal_id}/outcome"): {"data": {"decision": "won"}},
        ("POST", "/ui/eligibility/{verification_id}/estimate"): {
            "data": {"procedures": "D1110 110.00"}
        },
        ("POST", "/v1/era/pending/{payment_id}/approve"): {},
        ("POST", "/v1/era/pending/{payment_id}/dismiss"): {"json": {"reason": "not mine"}},
        ("POST", "/v1/claims/{claim_id}/write-off"): {"json": {"amount": "1.00"}},
        ("POST", "/v1/claims/{claim_id}/close"): {"json": {"note": "not mine"}},
        ("PUT", "/v1/payers/{payer_id}/era-policy"): {"json": {"policy": "review"}},
        ("PUT", "/v1/payers/{payer_id}/filing-limits"): {"json": {"timely_filing_days": 30}},
        ("POST", "/ui/claims/{claim_id}/payments/{payment_id}/approve"): {},
        ("POST", "/ui/claims/{claim_id}/payments/{payment_id}/dismiss"): {
            "data": {"reason": "not mine"}
        },
        ("POST", "/ui/claims/{claim_id}/write-off"): {"data": {"amount": "1.00"}},
        ("POST", "/ui/claims/{claim_id}/close"): {"data": {"note": "not mine"}},
        ("POST", "/ui/payers/{payer_id}/filing-limits"): {"data": {"timely_filing_days": "30"}},
    }
    if (route.method, route.template) not in bodies:
        pytest.fail(f"{route.method} {route.template}: no request body; add one to _record_body")
    return bodies[route.method, route.template]


def _check_form(inquiry: dict[str, Any]) -> dict[str, str]:
    """The dashboard's eligibility check form for ``inquiry``'s subscriber."""
    subscriber = inquiry["subscriber"]
    return {
        "payer_id": inquiry["payer"]["payer_id"],
        "payer_name": inquiry["payer"]["name"],
        "member_id": subscriber["member_id"],
        "subscriber_last_name": subscriber["name"]["last_name"],
        "subscriber_first_name": subscriber["name"]["first_name"],
        "subscriber_date_of_birth": subscriber["date_of_birth"],
    }


def _own(world: World, route: Route) -> list[tuple[dict[str, Any], frozenset[int]]]:
    """A list, page or action of B's own: what B sends (A's values as filters) and the
    statuses it may answer."""
    ok, redirect = frozenset({200}), frozenset({303, 307})
    if route.method in ("GET", "HEAD"):
        variants: dict[str, list[dict[str, Any]]] = {
            "/v1/claims": [
                {},
                {"params": {"state": "paid"}},
                {"params": {"payer_id": "DDPIL"}},
                {"params": {"updated_since": "2000-01-01T00:00:00Z"}},
                *({"params": {"patient_control_number": n}} for n in world.claim_numbers),
                *({"headers": {"X-Member-Id": m}} for m in world.member_ids),
            ],
            "/v1/workqueue": [
                {},
                {"params": {"include_resolved": True}},
                {"params": {"reason": "denied"}},
                {"params": {"updated_since": "2000-01-01T00:00:00Z"}},
            ],
            "/v1/remittances": [
                {},
                {"params": {"payer_id": "DDPIL"}},
                {"params": {"updated_since": "2000-01-01T00:00:00Z"}},
                *({"params": {"claim_id": c}} for c in world.ids["claim"]),
                *({"params": {"trace_number": t}} for t in world.trace_numbers),
            ],
            "/ui/workqueue": [
                {},
                {"params": {"payer": "DDPIL", "age": "0"}},
                {"params": {"reason": "denied"}},
            ],
            "/v1/events": [{}, {"params": {"type": "claim.created"}}],
            "/v1/eligibility/verifications": [
                {},
                *({"headers": {"X-Member-Id": m}} for m in world.member_ids),
                {"headers": {"X-Patient-Last-Name": "NGUYEN", "X-Patient-First-Name": "ANNA"}},
            ],
        }
        status = (
            redirect
            if route.template == "/ui"
            else ok
            if route.template != "/ui/set-password"
            else frozenset({410})
        )  # no link: gone
        return [(options, status) for options in variants.get(route.template, [{}])]
    plan = json.loads((REPO / "fixtures/eligibility/01_ppo_full_breakdown/plan.json").read_text())
    actions: dict[str, tuple[dict[str, Any], frozenset[int]]] = {
        # B cannot store a claim in A's practice (billing provider: A's NPI)
        "/v1/claims": ({"json": _b_claim(PRACTICE_A)}, frozenset({422})),
        "/v1/claims/validate": ({"json": _b_claim()}, ok),
        "/v1/eligibility": ({"json": {"inquiry": _inquiry(PRACTICE_B)}}, ok),
        "/v1/estimates": ({"json": {"benefits": world.b_benefits, "plan": plan}}, ok),
        "/v1/webhooks": ({"json": {"url": "http://127.0.0.1:9/b-new"}}, frozenset({201})),
        "/v1/visits": ({"json": {"visits": [_visit(PRACTICE_B, "B-APPT-1")]}}, frozenset({201})),
        "/v1/visits/verify": ({"json": {"days": 30, "within": 14}}, ok),
        "/ui/login": ({"data": {"email": world.b_user, "password": USER_PASSWORD}}, redirect),
        "/ui/login/code": ({"data": {"code": "000000"}}, frozenset({403})),  # no password step
        "/ui/set-password": ({"data": {"password": "x" * 12}}, frozenset({403})),  # no link
        "/ui/account/two-step/start": ({"data": {}}, ok),
        "/ui/account/two-step/confirm": ({"data": {"code": "000000"}}, frozenset({422})),
        "/ui/account/two-step/off": ({"data": {"code": "000000"}}, frozenset({422})),
        "/v1/users": (
            {"json": {"email": "b-new.user@birch.example", "role": "viewer"}},
            frozenset({201}),
        ),
        "/ui/logout": ({"data": {}}, redirect),
        "/ui/users": ({"data": {"email": "b-ui.user@birch.example", "role": "viewer"}}, ok),
        "/ui/eligibility/check": ({"data": _check_form(_inquiry(PRACTICE_B))}, redirect),
        "/ui/eligibility/verify-queue": ({"data": {"days": "30", "within": "14"}}, ok),
        # B searching for the start of A's claim numbers finds none of A's claims
        "/ui/claims": ({"data": {"q": "MSD"}}, ok),
        "/v1/era/policies/default": ({"json": {"policy": "full"}}, ok),
        "/ui/eras/policy": ({"data": {"policy": "full"}}, redirect),
    }
    if route.template not in actions:
        pytest.fail(f"{route.method} {route.template}: no request for this action; add one to _own")
    if route.template == "/v1/claims":  # B's own claim under the Idempotency-Key A used
        return [
            actions[route.template],
            (
                {"json": _b_claim(), "headers": {"Idempotency-Key": SHARED_KEY}},
                frozenset({200, 201}),
            ),
        ]
    return [actions[route.template]]


def _send(
    client: TestClient, call: Call, extra: dict[str, str], form: dict[str, str]
) -> httpx.Response:
    """Make ``call`` with ``extra`` headers; a dashboard form gets the ``form`` fields
    (its CSRF token) beside its own."""
    options = copy.deepcopy(call.options)
    if "data" in options or (call.route.method == "POST" and call.url.startswith("/ui/")):
        options["data"] = {**form, **options.get("data", {})}
    options["headers"] = {**extra, **options.get("headers", {})}
    return client.request(call.route.method, call.url, follow_redirects=False, **options)


def _as_b(world: World, call: Call) -> httpx.Response:
    """``call`` as practice B: its API key, or its own dashboard session and form token."""
    if call.url.startswith("/v1"):
        return _send(world.api, call, world.b, {})
    browser, csrf = _b_browser(world)
    form = {"csrf": csrf}
    if call.url == "/ui/login":
        form = {"login_csrf": form_field(browser.get("/ui/login").text, "login_csrf")}
    return _send(browser, call, {}, form)


# --------------------------------------------------------------------------- A's rows


def _rows(world: World) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """Every row of every table, by primary key."""
    rows: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    with world.gateway.database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            keys = [c.name for c in table.primary_key.columns]
            rows[table.name] = {
                tuple(r[k] for k in keys): dict(r)
                for r in session.execute(select(table)).mappings()
            }
    return rows


def _practice_of(
    table: Table, row: dict[str, Any], rows: list[dict[str, dict[tuple[Any, ...], dict[str, Any]]]]
) -> int | None:
    """The practice a row belongs to: its ``practice_id``, or its parent's through a
    foreign key (an API key's idempotency record, a webhook attempt's delivery's endpoint);
    ``None`` for a row of no practice."""
    if row.get("practice_id") is not None:
        return int(row["practice_id"])
    for key in table.foreign_keys:
        value = row.get(key.parent.name)
        parent = key.column.table
        found = next(
            (
                snapshot[parent.name][(value,)]
                for snapshot in rows
                if (value,) in snapshot.get(parent.name, {})
            ),
            None,
        )
        if found is not None and isinstance(parent, Table):
            owner = _practice_of(parent, found, rows)
            if owner is not None:
                return owner
    return None


def _changed_rows_not_b(
    world: World,
    before: dict[str, dict[tuple[Any, ...], Any]],
    after: dict[str, dict[tuple[Any, ...], Any]],
) -> list[str]:
    """Rows added, changed or removed that are not B's (of B's practice, directly or
    through the rows they refer to)."""
    tables = Base.metadata.tables
    wrong = []
    for table, rows in after.items():
        if table in SHARED:
            continue
        old = before[table]
        for key in old.keys() | rows.keys():
            versions = [v for v in (old.get(key), rows.get(key)) if v is not None]
            if old.get(key) == rows.get(key):
                continue
            if any(
                _practice_of(tables[table], v, [after, before]) != world.b_practice
                for v in versions
            ):
                wrong.append(f"{table} {key}: {old.get(key)} -> {rows.get(key)}")
    return wrong


# --------------------------------------------------------------------------- the walks


def _a_data(world: World, call: Call, response: httpx.Response) -> list[str]:
    """What of A's the answer shows: its text, or IDs of A's records of the listed kind."""
    text = response.text
    found = _shown(world, text)
    listed = LISTS.get(call.route.template)
    if listed and response.headers.get("content-type", "").startswith("application/json"):
        kind, key = listed
        items = response.json().get("items", [])
        found += [f"{kind} {i[key]}" for i in items if i[key] in world.ids[kind]]
    for part, record in re.findall(r'href="/ui/(claims|eras|workqueue|appeals)/(\d+)', text):
        if int(record) in world.ids[LINKS[part]]:
            found.append(f"link to {LINKS[part]} {record}")
    return found


def _same_as_missing(call: Call, response: httpx.Response, missing: httpx.Response) -> bool:
    """Whether A's record got the answer a record that does not exist gets (the same
    status, and the same problem or page but for the IDs)."""
    assert call.record is not None
    assert call.reference is not None
    return response.status_code == missing.status_code and _gist(response, call.record) == _gist(
        missing, call.reference
    )


def _gist(response: httpx.Response, record: dict[str, Any]) -> str:
    """The answer with its record's IDs as ``ID``; of a page, its ``<main>`` (the rest is
    the signed-in navigation, whose sign-out form holds the session's CSRF token)."""
    text = response.text
    main = re.search(r"<main\b.*</main>", text, re.DOTALL)
    text = main.group(0) if main else text
    for value in record.values():
        text = re.sub(rf"\b{re.escape(str(value))}\b", "ID", text)
    return text


@pytest.mark.slow  # 27.8 s on the loaded 2-core machine
def test_practice_b_reaches_none_of_practice_a_records(world: World):
    routes = _routes(world.app)
    walked = {(r.method, r.template) for r in routes}
    assert {
        ("GET", "/v1/claims/{claim_id}"),
        ("POST", "/v1/workqueue/{item_id}/resolve"),
        ("GET", "/ui/eras/{remittance_id}"),
        ("POST", "/ui/claims/{claim_id}/void"),
        ("GET", "/v1/reports/aging"),
        ("GET", "/ui/aging.csv"),
    } <= walked
    before = _rows(world)
    failures, checked, refused = [], 0, 0
    for route in routes:
        answers = [(call, _as_b(world, call)) for call in _calls(world, route)]
        missing_ones = {json.dumps(c.record, sort_keys=True): r for c, r in answers if c.missing}
        for call, response in answers:
            if call.missing:
                continue
            missing = missing_ones.get(json.dumps(call.reference, sort_keys=True))
            where = f"{route.method} {call.url} {call.options or ''}"
            problems = []
            if response.status_code not in call.allowed:
                problems.append(f"{where}: {response.status_code} {response.text[:300]}")
            if (
                missing is not None
                and (route.method, route.template) not in OWN_BY_ID
                and not _same_as_missing(call, response, missing)
            ):
                problems.append(
                    f"{where}: A's {call.kind} {call.record} answered "
                    f"{response.status_code} {response.text[:300]!r}, a missing "
                    f"one {missing.status_code} {missing.text[:300]!r}"
                )
            leaked = _a_data(world, call, response)
            if leaked:
                problems.append(f"{where}: shows A's {sorted(leaked)}")
            checked += 1
            refused += not problems
            failures += problems
    changed = _changed_rows_not_b(world, before, _rows(world))
    print(
        f"BOLA: {refused}/{checked} requests of practice B on {len(routes)} routes "
        "(every method of /v1 and /ui) refused or kept to B's own records"
    )
    assert not failures, "\n".join(failures)
    assert not changed, "\n".join(changed)


@pytest.mark.slow  # 3.5 s set-up + 1.7 s at load ~2 (inner loop < 60 s)
def test_without_credentials_only_public_routes_answer(world: World):
    routes = _routes(world.app)
    before = _rows(world)
    anonymous = TestClient(world.app, base_url=BASE)
    failures = []
    for route in routes:
        call = _calls(world, route)[0]
        response = _send(anonymous, call, {}, {})
        public = (route.method, route.template) in PUBLIC
        if route.template.startswith("/v1"):
            expected = response.status_code < 300 if public else response.status_code == 401
        elif public:  # the sign-in form and the redirect to it; a sign-in without the
            expected = response.status_code in (200, 307, 403, 410)  # form's nonce is
            # refused, a set-password page without its link is gone
        else:
            expected = (response.status_code, response.headers.get("location")) == (
                303,
                "/ui/login",
            )
        if not expected:
            failures.append(
                f"{route.method} {call.url}: {response.status_code} {response.text[:300]}"
            )
        leaked = _shown(world, response.text)
        if leaked:
            failures.append(f"{route.method} {call.url}: shows A's {leaked}")
    print(
        f"no credentials: {len(routes) - len(failures)}/{len(routes)} routes refused "
        "(401, or the sign-in page for /ui) or public"
    )
    assert not failures, "\n".join(failures)
    assert _changed_rows_not_b(world, before, _rows(world)) == []
