"""The OpenAPI document: what FastAPI generates from the routes and models, finished so an
SDK can be generated from it, and checked in as ``docs/openapi.json``.

FastAPI's document is finished in three ways here:

* **Errors** — every ``/v1`` operation documents its problem answers as
  ``application/problem+json`` with the :class:`~edigateway.api.problems.Problem` schema:
  401, 403, 422, 500 and 503 everywhere, 400, 413 and 415 where a body is taken, and what
  the route itself declares (404, 409, 502).
* **Scopes** — each operation's security requirements name the scope it needs (OpenAPI
  3.1 allows role names for non-OAuth schemes); the same list is in ``x-scopes`` and in
  the operation's description, for generators and readers that ignore requirements.
* **Descriptions** — domain models shared with the CLI describe most fields themselves;
  the ones that do not get theirs from :data:`~edigateway.api.descriptions.FIELDS`, so
  every property of every schema is described.
* **One schema per model** — pydantic documents a decimal it reads as "a number or a
  string" and writes as a string, so a domain model used both ways (a claim, dental
  benefits) became ``Claim-Input`` and ``Claim-Output``, which SDK generators turn into
  two clashing classes. A decimal is a string on our wire both ways (the reader's leniency
  for numbers is not part of the contract), so the two are one schema, ``Claim``; the
  build fails if the two ever differ in anything else.

Regenerate the checked-in copy after a change to the API (a test fails until it is)::

    .venv/bin/python -m edigateway.api.export docs/openapi.json
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from edigateway.api import claim_edit_models, event_models, user_models
from edigateway.api import schemas as answers
from edigateway.api.descriptions import FIELDS
from edigateway.api.problems import ERROR_DESCRIPTIONS, MEDIA_TYPE, Problem

if TYPE_CHECKING:
    from fastapi import FastAPI

TAGS: Final[list[dict[str, str]]] = [
    {
        "name": "claims",
        "description": "Dental claims (837D): create after the clean-claim "
        "edits, validate, submit, read with their history, replace and void.",
    },
    {"name": "eligibility", "description": "Real-time eligibility (270/271) as dental benefits."},
    {
        "name": "estimates",
        "description": "Patient cost estimates from benefits and a treatment plan.",
    },
    {
        "name": "remittances",
        "description": "835 payments with every posting traced to its segment.",
    },
    {
        "name": "workqueue",
        "description": "What a coordinator must act on: denials, "
        "unmatched payments, recoupments, rejections.",
    },
    {"name": "reports", "description": "A/R aging and timely-filing alerts."},
    {
        "name": "payers",
        "description": "The practice's payers and the timely-filing terms of each contract.",
    },
    {
        "name": "transmissions",
        "description": "Files sent to the clearinghouse, their "
        "acknowledgment status and their X12 as sent.",
    },
    {
        "name": "received files",
        "description": "Files received from the clearinghouse that "
        "carried the practice's payments, and their X12 as received.",
    },
    {
        "name": "events",
        "description": "Every change a PM system cares about, in order, "
        "with an opaque cursor (long-poll optional).",
    },
    {
        "name": "webhooks",
        "description": "Signed (Standard Webhooks) pushes of the events, "
        "with delivery logs and redelivery.",
    },
    {"name": "health", "description": "Liveness and readiness probes (public, no PHI)."},
]
EVERY_OPERATION: Final = (401, 403, 422, 500, 503)
WITH_A_BODY: Final = (400, 413, 415)
PROBLEM_REF: Final = "#/components/schemas/Problem"


def install(app: FastAPI) -> None:
    """Serve the finished document at the app's ``openapi_url`` (built once, on first
    request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build(app: FastAPI) -> dict[str, Any]:
    """The finished document of ``app`` (module docstring)."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        tags=TAGS,
        separate_input_output_schemas=app.separate_input_output_schemas,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for path, item in document["paths"].items():
        for operation in item.values():
            if path.startswith("/v1/"):
                _problems(operation)
                _scopes(operation)
    _one_schema_per_model(document)
    _describe(document["components"]["schemas"])
    _examples(document["components"]["schemas"])
    return document


def _examples(schemas: dict[str, Any]) -> None:
    """Put back the response models' own examples: FastAPI drops every null from the
    document, those in examples too, which would leave examples missing required fields."""
    for model in [
        *vars(answers).values(),
        *vars(event_models).values(),
        *vars(user_models).values(),
        *vars(claim_edit_models).values(),
    ]:
        if isinstance(model, type) and issubclass(model, BaseModel) and model.__name__ in schemas:
            extra = model.model_config.get("json_schema_extra")
            if isinstance(extra, dict) and "examples" in extra:
                schemas[model.__name__]["examples"] = extra["examples"]


def _decimal_as_string(node: Any) -> Any:
    """``node`` with every decimal choice (number or string) as the string alone."""
    if isinstance(node, list):
        return [_decimal_as_string(n) for n in node]
    if not isinstance(node, dict):
        return node
    choices = node.get("anyOf")
    if (
        isinstance(choices, list)
        and any(c.get("type") == "number" for c in choices)
        and any(c.get("type") == "string" for c in choices)
    ):
        node = {**node, "anyOf": [c for c in choices if c.get("type") != "number"]}
        if len(node["anyOf"]) == 1:
            node.update(node.pop("anyOf")[0])
    return {key: _decimal_as_string(value) for key, value in node.items()}


def _unsuffixed(node: Any) -> Any:
    """``node`` with references to ``X-Input``/``X-Output`` as references to ``X``."""
    text = json.dumps(node)
    for suffix in ("-Input", "-Output"):
        text = text.replace(f'{suffix}"', '"')
    return json.loads(text)


def _without_patterns(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_patterns(n) for n in node]
    if isinstance(node, dict):
        return {k: _without_patterns(v) for k, v in node.items() if k != "pattern"}
    return node


def _one_schema_per_model(document: dict[str, Any]) -> None:
    schemas: dict[str, Any] = document["components"]["schemas"]
    for name in [n for n in schemas if n.endswith("-Input")]:
        base = name.removesuffix("-Input")
        read = _unsuffixed(_decimal_as_string(schemas.pop(name)))
        written = _unsuffixed(_decimal_as_string(schemas.pop(f"{base}-Output")))
        if _without_patterns(read) != _without_patterns(written):
            msg = f"{base}: its request and response schemas differ beyond decimals"
            raise ValueError(msg)
        schemas[base] = read
    finished = _unsuffixed(_decimal_as_string(document))
    document.clear()
    document.update(finished)


def _problems(operation: dict[str, Any]) -> None:
    answers = operation.setdefault("responses", {})
    statuses = {
        *EVERY_OPERATION,
        *(WITH_A_BODY if "requestBody" in operation else ()),
        *(int(s) for s in answers if s.isdigit() and int(s) >= 400),
    }
    for status in sorted(statuses):
        known = answers.get(str(status), {})
        answers[str(status)] = {
            "description": known.get("description") or ERROR_DESCRIPTIONS[status],
            "content": {MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
        }
    operation["responses"] = dict(sorted(answers.items()))


def _scopes(operation: dict[str, Any]) -> None:
    scopes = sorted(
        {
            s
            for requirement in operation.get("security", [])
            for wanted in requirement.values()
            for s in wanted
        }
    )
    operation["x-scopes"] = scopes
    needs = ", ".join(f"`{s}`" for s in scopes)
    operation["description"] = (
        operation.get("description", "").rstrip() + f"\n\nRequires the scope {needs} (or `admin`)."
    ).lstrip()


def _describe(schemas: dict[str, Any]) -> None:
    for name, schema in schemas.items():
        known = FIELDS.get(name.removesuffix("-Input").removesuffix("-Output"), {})
        for field, spec in schema.get("properties", {}).items():
            if not spec.get("description") and field in known:
                spec["description"] = known[field]
