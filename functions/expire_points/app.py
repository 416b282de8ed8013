"""Scheduled job: expire the unspent points of lots past their last day."""

from typing import Any

from loyalty.observability import logger
from loyalty.services import jobs


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Stops before the timeout (the next run resumes); raises jobs.TenantsFailed after the other tenants.
    result = jobs.expire_points(budget=jobs.Budget.of_lambda(context))
    logger.info("expire_points done", extra=result)
    return result
