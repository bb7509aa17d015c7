"""The claim page shows the payer's predetermination estimate (issue 15, Done when: "the
dashboard and API show … the predetermination estimate") through the use case of
``GET /v1/claims/{id}/predetermination``: the simulator prices predetermination MSD1012
(CLP02 25), the treatment MSD1112 carries its number and is paid; the treatment's page
sets estimate beside payment per line, the predetermination's page shows the estimate of
its own lines; a claim without one shows no such section."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from edigateway.api.app import create_app
from edigateway.services.access import create_key
from tests.factories import NOW, signed_in, ui_user
from tests.integration.test_predeterminations import NUMBER, PLAN, World, _treatment, world

__all__ = ["world"]  # the fixture, shared with the service and API tests

pytestmark = pytest.mark.slow  # the simulator over SFTP on loopback, two exchanges

BASE = "http://127.0.0.1"


def _browser(world: World, role: str = "viewer") -> TestClient:
    client = TestClient(create_app(world.gateway), base_url=BASE)
    signed_in(client, ui_user(world.gateway.database, role=role))
    return client


def _section(page: str) -> str:
    assert '<h2 id="predetermination">' in page, "no predetermination section"
    return page.split('<h2 id="predetermination">', 1)[1].split("</table>", 1)[0]


def _cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
    ]


def test_the_claim_page_shows_the_predetermination_estimate_beside_the_payment(world: World):
    world.submit(_treatment())
    treatment_id = world.stored("MSD1112")[0]
    plan_id = world.stored(PLAN)[0]
    browser = _browser(world)

    section = _section(browser.get(f"/ui/claims/{treatment_id}").text)
    assert f'href="/ui/claims/{plan_id}">predetermination {NUMBER}</a>' in section
    rows = re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1])
    # D2740: allowed 980, the payer estimated 465 and paid 465; D2950: 176 estimated, paid
    assert [_cells(r) for r in rows] == [
        ["1", "D2740", "1250.00", "980.00", "465.00", "515.00", "465.00", "515.00", "0.00"],
        ["2", "D2950", "290.00", "220.00", "176.00", "44.00", "176.00", "44.00", "0.00"],
    ]
    total = re.search(r'<tr id="predetermination-total">(.*?)</tr>', section)
    assert total is not None
    assert _cells(total.group(1)) == ["Total", "641.00", "", "641.00", "", "0.00"]

    own = _section(browser.get(f"/ui/claims/{plan_id}").text)
    assert f"The payer priced this predetermination (its number {NUMBER})" in own
    assert [_cells(r) for r in re.findall(r"<tr>(.*?)</tr>", own.split("<tbody>", 1)[1])] == [
        ["1", "D2740", "1250.00", "980.00", "465.00", "515.00"],
        ["2", "D2950", "290.00", "220.00", "176.00", "44.00"],
    ]
    assert "Paid − estimate" not in own

    # the API's use case answers the same for the predetermination itself
    key = create_key(
        world.gateway.database,
        practice="1456789019",
        scopes="claims:read",
        name="t",
        keyring=world.gateway.keyring,
        now=NOW,
    )
    api = TestClient(create_app(world.gateway), base_url=BASE)
    answer = api.get(
        f"/v1/claims/{plan_id}/predetermination",
        headers={"Authorization": f"Bearer {key.token}"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["predetermination_id"], body["predetermination_number"]) == (plan_id, NUMBER)
    assert (body["estimated_insurance"], body["paid"]) == ("641.00", "0.00")
    assert [line["actual"] for line in body["lines"]] == [None, None]


def test_a_claim_without_a_predetermination_has_no_such_section(world: World):
    other = _treatment("MSD1114")
    other = other.model_copy(
        update={
            "lines": [other.lines[0].model_copy(update={"procedure_code": "D2750"})],
            "total_charge": other.lines[0].charge,
        }
    )
    world.submit(other)
    claim_id, document, _payload = world.stored("MSD1114")
    assert document.predetermination_number is None
    page = _browser(world).get(f"/ui/claims/{claim_id}")
    assert page.status_code == 200
    assert "MSD1114" in page.text
    assert 'id="predetermination"' not in page.text
