"""Route-wide checks that grow with the route table: modules, events, auth on every route, OpenAPI."""

import ast
import importlib
import json
import re
from pathlib import Path

import pytest
from loyalty.routes import AUTHORIZER_FUNCTION, JOBS, PROTECTED, ROUTES

from tools.openapi import DOCUMENT_PATH, render_document

ROOT = Path(__file__).resolve().parents[2]
ALL_FUNCTIONS = sorted({r.function for r in ROUTES} | {j.function for j in JOBS} | {AUTHORIZER_FUNCTION})


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "01ARZ3NDEKTSV4RRFFQ69G5FAV", path)


@pytest.mark.parametrize("function", ALL_FUNCTIONS)
def test_every_function_has_a_module_with_a_handler_and_an_event(function):
    module = importlib.import_module(f"functions.{function}.app")
    assert callable(module.handler)
    assert module.__doc__, "each handler module says what it is for"
    event = json.loads((ROOT / "events" / f"{function}.json").read_text())
    assert event


def test_every_route_is_unique_and_declares_a_spec():
    seen = {(r.method, r.path) for r in ROUTES}
    assert len(seen) == len(ROUTES)
    assert len({r.function for r in ROUTES}) == len(ROUTES)
    for route in ROUTES:
        assert importlib.import_module(route.module).handler.api is not None


@pytest.mark.parametrize("route", [r for r in PROTECTED if r.function != "get_status"], ids=lambda r: r.function)
def test_every_handler_is_one_call_of_one_service_function(route):
    """Handlers are uniform: `return service.fn(request.caller | request.tenant_id, …)`, nothing else."""
    tree = ast.parse((ROOT / "functions" / route.function / "app.py").read_text())
    (handler,) = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "handler"]
    (statement,) = handler.body
    assert isinstance(statement, ast.Return) and isinstance(statement.value, ast.Call)
    call = statement.value
    assert isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
    services = {
        a.name for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "loyalty.services" for a in n.names
    }
    assert call.func.value.id in services, "the handler calls a service module"
    first = ast.unparse(call.args[0])
    assert first == ("request.caller" if route.writes else "request.tenant_id"), first
    for argument in call.args[1:]:
        assert ast.unparse(argument).startswith(("request.params[", "request.body", "request.query")), ast.unparse(
            argument
        )


def test_committed_openapi_document_is_current():
    assert DOCUMENT_PATH.read_text() == render_document(), "run `make openapi` and commit docs/openapi.json"


def test_openapi_lists_every_route_with_its_scopes():
    document = json.loads(render_document())
    for route in ROUTES:
        operation = document["paths"][route.path][route.method.lower()]
        assert operation["operationId"] == route.function
        if route.public:  # no API key: no security, no scopes, no 403 (POST /oauth/token)
            assert operation["security"] == [] and "x-scopes" not in operation and "403" not in operation["responses"]
            continue
        assert set(operation["x-scopes"]) == route.scopes
        assert {"401", "403"} <= set(operation["responses"])


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: f"{r.method} {r.path}")
def test_every_route_refuses_missing_malformed_unknown_and_revoked_keys(route, local_api, tenant):
    from loyalty.services import tenants

    path = concrete(route.path)
    body = {} if route.method in ("POST", "PATCH") else None
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer lk_nobody_" + "x" * 32},
    ):
        reply = local_api.anonymous().call(route.method, path, body, headers=headers)
        assert reply.status == 401, (headers, reply.text)
        assert reply.json == {"error": {"code": "unauthorized", "message": reply.json["error"]["message"]}}
    revoked = tenants.issue_key(tenant.tenant_id, ["admin"])
    tenants.revoke_key(tenant.tenant_id, revoked["keyId"])
    reply = local_api.anonymous(revoked["key"]).call(route.method, path, body)
    assert reply.status == 401 and reply.code == "unauthorized"


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: f"{r.method} {r.path}")
def test_every_route_refuses_keys_without_its_scope(route, tenant):
    """Every scope the route allows gets the very answer admin gets; the others get 403 forbidden.

    With unknown ids and an empty body that answer is 200 on a path without ids (a list, the program and
    an empty change to it), otherwise 404 not_found (an unknown id) or 400 validation_error (a body
    missing required fields).
    """
    path = concrete(route.path)
    body = {} if route.method in ("POST", "PATCH") else None
    answers = {}
    for scope, client in (("admin", tenant.admin), ("integration", tenant.integration), ("read", tenant.read)):
        reply = client.call(route.method, path, body)
        answers[scope] = (reply.status, reply.code)
        if scope not in route.scopes:
            assert answers[scope] == (403, "forbidden"), (scope, reply.text)
    allowed = {answers[scope] for scope in route.scopes}
    assert allowed == {answers["admin"]}, answers
    if route.method in ("GET", "PATCH") and "{" not in route.path:
        assert answers["admin"] == (200, None), answers
    else:
        assert answers["admin"] in {(404, "not_found"), (400, "validation_error")}, answers


def test_unknown_routes_and_methods_answer_404_in_the_envelope(tenant):
    for method, path in (("GET", "/nope"), ("DELETE", "/status"), ("GET", "/status/extra")):
        reply = tenant.admin.call(method, path)
        assert reply.status == 404 and reply.code == "not_found"
