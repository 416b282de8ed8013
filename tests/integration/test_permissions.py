"""IAM per function is what its code uses: every route runs over the local API (successes and
refusals) while a botocore hook records each function's DynamoDB actions; none may fall outside
the actions infra/permissions.py grants it (tests/infra/test_stack.py holds the template to them)."""

from loyalty.routes import DELIVERY_FUNCTION, JOBS, ROUTES

from infra import permissions
from tests.support.dynamo_actions import every_function_run


def test_every_function_calls_only_the_dynamodb_actions_it_is_granted(tenant):
    seen = every_function_run(tenant)
    granted = {route.function: set(permissions.route_actions(route)) for route in ROUTES}
    granted |= {job.function: set(permissions.JOB) for job in JOBS} | {"authorizer": set(permissions.AUTHORIZER)}
    granted |= {DELIVERY_FUNCTION: set(permissions.DELIVERY)}
    assert set(seen) == set(granted), "every function ran"
    for function, actions in seen.items():
        assert actions <= granted[function], (function, actions - granted[function])
    writers = {route.function for route in ROUTES if route.writes}
    assert all(seen[f] & set(permissions.WRITE) for f in writers), "writers do write"
    assert seen["get_status"] == set() == granted["get_status"]
    assert [f for f, actions in seen.items() if not actions] == ["get_status"], "every other function was seen"
