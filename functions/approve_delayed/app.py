"""Scheduled job: approve delayed awards whose autoApprovalDate has come."""

from typing import Any

from loyalty.observability import logger
from loyalty.services import jobs


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Stops before the timeout (the next run resumes); raises jobs.TenantsFailed after the other tenants.
    result = jobs.approve_delayed(budget=jobs.Budget.of_lambda(context))
    logger.info("approve_delayed done", extra=result)
    return result
