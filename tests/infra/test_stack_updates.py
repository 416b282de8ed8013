"""Updates that cannot fail by construction: a route never changes nested stack when others are added,
and the API deployment is replaced whenever anything that shapes the stage changes."""

from dataclasses import replace

import pytest
from loyalty.routes import ROUTES

from infra import config
from infra.app import build_app
from infra.constructs import docs
from infra.constructs.api import STAGE_SHAPING
from infra.constructs.routes import group_routes, route_stack
from infra.gateway_responses import GATEWAY_RESPONSES
from tests.infra.synth import Synthesized

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cdk")]


def _placement(synth: Synthesized) -> dict[str, tuple[str, str, str]]:
    """operation → (nested stack, method logical id, function logical id) of every route."""
    placed = {}
    for template, logical, method in synth.resources("AWS::ApiGateway::Method"):
        if method["Properties"]["OperationName"] == docs.OPERATION:  # not a route: in the parent stack
            continue
        uri = method["Properties"]["Integration"]["Uri"]["Fn::Join"][1]
        function = next(part["Fn::GetAtt"][0] for part in uri if isinstance(part, dict) and "Fn::GetAtt" in part)
        placed[method["Properties"]["OperationName"]] = (synth.route_stack_of(template), logical, function)
    return placed


def test_adding_routes_anywhere_in_the_table_moves_no_existing_route(synthesized, tmp_path):
    # The table before three routes were added: at the front, in the middle and at the end.
    added = {0, len(ROUTES) // 2, len(ROUTES) - 1}
    before = Synthesized(tmp_path, tuple(r for i, r in enumerate(ROUTES) if i not in added))
    old, new = _placement(before), _placement(synthesized)
    assert len(old) == len(ROUTES) - 3
    for operation, place in old.items():
        assert new[operation] == place, operation
    for operation, (stack, _, _) in new.items():
        route = next(r for r in ROUTES if r.function == operation)
        assert stack == route_stack(route)
    # ... and the new methods make a new deployment
    assert before.deployment_id() != synthesized.deployment_id()


def test_route_stacks_depend_on_the_operation_alone_and_spread_the_routes():
    shuffled = tuple(reversed(ROUTES))
    assert {r.function: route_stack(r) for r in shuffled} == {r.function: route_stack(r) for r in ROUTES}
    groups = group_routes(ROUTES)
    assert len(groups) == config.ROUTE_STACKS
    assert max(len(g) for g in groups.values()) <= 2 * len(ROUTES) // config.ROUTE_STACKS


def _deployment_id(routes=ROUTES[:4]) -> str:
    """The deployment's logical id of an app built (not synthesised) with these routes."""
    _, stack = build_app(None, routes=routes)
    (deployment,) = [
        node
        for node in stack.node.find_all()
        if getattr(node, "cfn_resource_type", "") == "AWS::ApiGateway::Deployment"
    ]
    return deployment.node.id


def test_the_deployment_changes_with_every_stage_shaping_change_and_only_then(monkeypatch):
    baseline = _deployment_id()
    assert _deployment_id() == baseline  # deterministic: no change, no new deployment
    changed = {}
    # a method: another HTTP method on the same path
    first = ROUTES[0]
    changed["method"] = _deployment_id((replace(first, method="PUT"), *ROUTES[1:4]))
    # an integration: the same method and path served by another function
    changed["integration"] = _deployment_id((replace(first, function=ROUTES[1].function), *ROUTES[1:4]))
    # a gateway response
    status, code, message = GATEWAY_RESPONSES["THROTTLED"]
    monkeypatch.setitem(GATEWAY_RESPONSES, "THROTTLED", (status, code, message + " Slow down."))
    changed["gateway response"] = _deployment_id()
    monkeypatch.setitem(GATEWAY_RESPONSES, "THROTTLED", (status, code, message))
    # the authorizer
    monkeypatch.setattr(config, "AUTHORIZER_CACHE_SECONDS", config.AUTHORIZER_CACHE_SECONDS + 1)
    changed["authorizer"] = _deployment_id()
    for what, deployment in changed.items():
        assert deployment != baseline, what
    assert len(set(changed.values())) == len(changed)
    assert {kind.CFN_RESOURCE_TYPE_NAME for kind in STAGE_SHAPING} >= {
        "AWS::ApiGateway::Method",
        "AWS::ApiGateway::GatewayResponse",
        "AWS::ApiGateway::Authorizer",
        "AWS::ApiGateway::Resource",
    }
