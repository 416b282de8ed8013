"""The API Gateway TOKEN authorizer: an API key becomes its tenant, scopes and a policy for its routes."""

from typing import Any

from loyalty.errors import Unauthorized
from loyalty.observability import logger
from loyalty.services.authorizer import authorize


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return authorize(event.get("authorizationToken"), event["methodArn"])
    except Unauthorized:
        # API Gateway answers 401 (our UNAUTHORIZED gateway response) for exactly this message.
        raise Exception("Unauthorized") from None
